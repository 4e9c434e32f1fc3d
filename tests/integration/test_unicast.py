#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""unicast: after learning, frames to a known MAC reach that guest only,
every byte intact and in order, and the switch's counters agree."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vstest as vt  # noqa: E402

N = 10000
SIZES = (64, 512, 1514)


def body(sw_bin, tg_bin):
    sw, guests, p = vt.start_all(sw_bin, tg_bin)
    a, b, c = p["a"], p["b"], p["c"]
    vt.learn(sw, [a, b, c])

    flow = 1
    for size in SIZES:
        vt.transfer(sw, a, b.mac, [b], [a, c], N, size, flow)
        flow += 1
    # Every direction once, with sizes between the usual ones.
    pairs = [(a, c, 60), (b, a, 128), (b, c, 777), (c, a, 1000),
             (c, b, 1500), (a, b, 1514)]
    for src, dst, size in pairs:
        others = [x for x in (a, b, c) if x not in (src, dst)]
        vt.transfer(sw, src, dst.mac, [dst], [src] + others, 2000, size, flow)
        flow += 1
    vt.finish(sw, guests)


if __name__ == "__main__":
    vt.run(body)
