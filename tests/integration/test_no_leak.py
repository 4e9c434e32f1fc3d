#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""no_leak: every way the switch can refuse a frame (bad source MAC, a
destination behind the ingress port, a full guest ring, a destination
whose guest left, nowhere to flood) is counted under its drop reason,
exactly once per frame, on the right port, without stalling other ports;
and after each phase the mbuf pool is full again (mbufs_in_use == 0)."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vstest as vt  # noqa: E402

N = 1000
STATION = "02:00:00:00:00:77"


def sent(gp, dst, count, length, flow, src=None):
    r = gp.send(dst, count, length=length, flow=flow, src=src)
    vt.check_dict(r, {"sent": count, "failed": 0}, f"{gp} send")


def body(sw_bin, tg_bin):
    sw, guests, p = vt.start_all(sw_bin, tg_bin,
                                 groups=[["a"], ["b"], ["c"]])
    ga, gb, gc = guests
    a, b, c = p["a"], p["b"], p["c"]
    vt.learn(sw, [a, b, c])

    vt.log("bad_src_mac: zero and group source addresses")
    before = sw.snapshot()
    sent(a, b.mac, N, 60, 1, src="00:00:00:00:00:00")
    sent(a, "bcast", N, 100, 2, src="01:00:5e:00:00:01")
    vt.expect_delta(sw, before, {"a": {
        "rx_packets": 2 * N, "rx_bytes": N * 60 + N * 100,
        "drop_bad_src_mac": 2 * N}})
    vt.check_port_quiet(b, "frames with a bad source")
    vt.check_port_quiet(c, "frames with a bad source")
    vt.check_eq(sw.info()["fdb_entries"], 3, "FDB entries (nothing learned)")
    sw.wait_no_mbufs_in_use()

    vt.log("same_port: a destination learned behind the sender's port")
    before = sw.snapshot()
    sent(a, "bcast", 1, 60, 3, src=STATION)
    vt.wait_flow(b, STATION, 3, 1)
    vt.wait_flow(c, STATION, 3, 1)
    sent(a, STATION, N, 200, 4)
    vt.expect_delta(sw, before, {
        "a": {"rx_packets": 1 + N, "rx_bytes": 60 + N * 200,
              "drop_same_port": N},
        "b": {"tx_packets": 1, "tx_bytes": 60},
        "c": {"tx_packets": 1, "tx_bytes": 60}})
    vt.check_eq(vt.flow_received(b, a.mac, 4), 0, "B got A's same-port frames")
    sw.wait_no_mbufs_in_use()

    vt.log("tx_full: B stops polling; A -> B overflows B's ring, and A -> C "
           "is not held up by it")
    for g in guests:
        g.clear()
    before = sw.snapshot()
    gb.cmd(f"rx port={b.index} enable=0")
    m = vt.QUEUE_SIZE + 2000
    sent(a, b.mac, m, 60, 5)
    vt.wait_for(lambda: (lambda d: d["b"]["tx_packets"] + d["b"]["drop_tx_full"]
                         == m)(sw.delta(before)), 15, "A -> B frames handled")
    sent(a, c.mac, N, 60, 6)
    vt.wait_flow(c, a.mac, 6, N)
    vt.check_flow_exact(c, a.mac, 6, N)
    vt.check_eq(b.stats()["rx_frames"], 0, "B received while paused")
    gb.cmd(f"rx port={b.index} enable=1")
    d = sw.delta(before)
    k = d["b"]["tx_packets"]
    vt.log(f"B's ring took {k} frames, the switch dropped {m - k}")
    vt.check(0 < k < m, f"B's ring took {k} of {m} frames: expected it to fill")
    vt.wait_flow(b, a.mac, 5, k)
    vt.expect_delta(sw, before, {
        "a": {"rx_packets": m + N, "rx_bytes": (m + N) * 60},
        "b": {"tx_packets": k, "tx_bytes": k * 60, "drop_tx_full": m - k},
        "c": {"tx_packets": N, "tx_bytes": N * 60}})
    # The ring kept the first k frames; the switch dropped the rest.
    vt.check_flow_exact(b, a.mac, 5, k)
    vt.check_dict(b.stats(), {"rx_frames": k, "rx_good": k, "rx_bad": 0},
                  "B after resuming")
    sw.wait_no_mbufs_in_use()

    vt.log("not_ready: C leaves; its MAC stays in the FDB")
    before = sw.snapshot()
    gc.quit()
    sw.wait_detached("c", before)
    before = sw.snapshot()
    sent(a, c.mac, N, 60, 7)
    vt.expect_delta(sw, before, {
        "a": {"rx_packets": N, "rx_bytes": N * 60},
        "c": {"drop_not_ready": N}})
    vt.check_eq(vt.flow_received(b, a.mac, 7), 0, "B got frames for C")
    sw.wait_no_mbufs_in_use()

    vt.log("no_destination: B leaves too; A floods with nobody to flood to")
    before = sw.snapshot()
    gb.quit()
    sw.wait_detached("b", before)
    before = sw.snapshot()
    sent(a, "bcast", N, 60, 8)
    sent(a, "02:00:00:00:00:99", N, 60, 9)
    vt.expect_delta(sw, before, {
        "a": {"rx_packets": 2 * N, "rx_bytes": 2 * N * 60,
              "drop_no_destination": 2 * N}})
    vt.check_port_quiet(a, "its own floods")
    vt.finish(sw, [ga])


if __name__ == "__main__":
    vt.run(body)
