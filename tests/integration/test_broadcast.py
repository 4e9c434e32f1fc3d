#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""broadcast: frames to the broadcast address, to a multicast group and to
an unknown unicast MAC are flooded to every other up port, never back to
the sender, every copy intact; the switch counts one rx and one tx per
receiving port, and its shared-mbuf flood returns every mbuf. Then floods
mixed into unicast: one sender streams to two stations and to the
broadcast address at once, so that the switch's bursts hold runs of
frames for one port cut by floods and by the other station; every flow
arrives whole and in order everywhere."""

import os
import sys
import time

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
    mixed(sw, a, b, c, flow)
    vt.finish(sw, guests)


def mixed(sw, a, b, c, flow, seconds=2):
    """a streams to b, to c and to everybody at once. The stream to b is
    fast, so that its frames come in runs long and short, the others cut
    them now and then."""
    for g in {p.guest for p in (a, b, c)}:
        g.clear()
    streams = [(b.mac, flow, [b], 200000), (c.mac, flow + 1, [c], 5000),
               ("bcast", flow + 2, [b, c], 5000)]
    vt.log(f"{a} -> {b.mac} (200 kpps), {c.mac} and bcast (5 kpps) at once, "
           f"{seconds}s")
    before = sw.snapshot()
    stats = a.stats()
    seq0 = {f: vt.tx_next_seq(stats, f) for _, f, _, _ in streams}
    for dst, f, _, pps in streams:
        a.stream_start(dst, pps, length=128, flow=f)
    time.sleep(seconds)
    sent = {s["flow"]: s["sent"] for s in a.guest.stream_stop() if s["port"] == a.index}
    vt.check_eq(sorted(sent), [f for _, f, _, _ in streams], f"{a}: streams stopped")
    for _, f, rxs, _ in streams:
        vt.check(sent[f] > 0, f"{a}: flow {f} sent nothing")
        for rp in rxs:
            vt.wait_flow(rp, a.mac, f, sent[f])
    vt.settle()
    for _, f, rxs, _ in streams:
        for rp in rxs:
            vt.check_flow_exact(rp, a.mac, f, sent[f], seq0[f])
    d = sw.delta(before)
    vt.check_no_drops(d)
    total, to_b, to_c, flood = (sum(sent.values()), sent[flow], sent[flow + 1],
                                sent[flow + 2])
    vt.check_dict(d[a.name], {"rx_packets": total, "tx_packets": 0}, f"switch port {a.name}")
    vt.check_dict(d[b.name], {"rx_packets": 0, "tx_packets": to_b + flood},
                  f"switch port {b.name}")
    vt.check_dict(d[c.name], {"rx_packets": 0, "tx_packets": to_c + flood},
                  f"switch port {c.name}")
    sw.wait_no_mbufs_in_use()


if __name__ == "__main__":
    vt.run(body)
