#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""broadcast: frames to the broadcast address, to a multicast group and to
an unknown unicast MAC are flooded to every other up port, never back to
the sender, every copy intact; the switch counts one rx and one tx per
receiving port, and its shared-mbuf flood returns every mbuf."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vstest as vt  # noqa: E402

N = 10000
SIZES = (64, 512, 1514)
MULTICAST = "01:00:5e:00:00:fb"
UNKNOWN = "02:00:00:00:00:99"


def body(sw_bin, tg_bin):
    sw, guests, p = vt.start_all(sw_bin, tg_bin)
    a, b, c = p["a"], p["b"], p["c"]
    vt.learn(sw, [a, b, c])

    flow = 1
    for size in SIZES:
        vt.transfer(sw, a, "bcast", [b, c], [a], N, size, flow)
        flow += 1
    vt.transfer(sw, b, "bcast", [a, c], [b], 2000, 1000, flow)
    flow += 1
    vt.transfer(sw, c, MULTICAST, [a, b], [c], 2000, 300, flow)
    flow += 1
    # Nobody has UNKNOWN's MAC: flooded, and every receiver sees a frame
    # addressed to somebody else (rx_not_for_us).
    vt.transfer(sw, a, UNKNOWN, [b, c], [a], 2000, 200, flow)
    flow += 1
    vt.check_eq(sw.info()["fdb_entries"], 3, "FDB entries (nothing new learned)")
    vt.finish(sw, guests)


if __name__ == "__main__":
    vt.run(body)
