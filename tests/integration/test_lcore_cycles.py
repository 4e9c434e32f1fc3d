# SPDX-License-Identifier: BSD-3-Clause
"""What a worker's cycles say when its work comes through a hand-off ring.

Two workers, guests a and b with one queue pair each, a's queue pinned to
lcore 1 and b's to lcore 2; a streams to b, b sends nothing. Lcore 2
receives nothing, yet it transmits every frame (it owns b's tx queue and
drains the ring lcore 1 fills): its busy and work cycles must grow while
its packet count stays put, and lcore 1's packets must grow by exactly the
frames sent. Work cycles never exceed busy cycles. Every frame arrives
whole, nothing is dropped and no mbuf is held."""

import time

import vstest as vt
import vsmc

PPS = 2000
SECONDS = 2


def totals(ctl):
    """{lcore: {packets, busy_cycles, work_cycles}} from lcore show."""
    return {w["lcore"]: {k: w[k] for k in ("packets", "busy_cycles", "work_cycles")}
            for w in ctl.lcores()}


def body(sw_bin, tg_bin):
    names = ["a", "b"]
    sw, guests, gp = vsmc.start(sw_bin, tg_bin, names, vsmc.LCORES_TWO_WORKERS,
                                [["a"], ["b"]], queues=1)
    ctl = sw.ctl
    ctl.ok("port", "set", "a", "rxq", "0", "lcore", "1")
    ctl.ok("port", "set", "b", "rxq", "0", "lcore", "2")
    vt.check_eq(vsmc.check_each_queue_once(ctl.lcores(), names, queues=1),
                {"a:0": 1, "b:0": 2}, "queue owners after pinning")
    vt.learn(sw, [gp["a"], gp["b"]])
    vsmc.settle()

    before = totals(ctl)
    snap = sw.snapshot()
    flows = [vsmc.Flow(gp["a"], gp["b"], 1, 128)]
    vsmc.start_streams(flows, PPS)
    time.sleep(SECONDS)
    vsmc.stop_streams(flows, guests)
    vsmc.wait_all_received(flows, guests)
    vsmc.settle()
    after = totals(ctl)

    soft = vt.Soft()
    vsmc.check_flows_exact(flows, guests, soft)
    sent = flows[0].sent
    d = sw.delta(snap)
    soft(vt.check_dict, d["a"], {"rx_packets": sent, "tx_packets": 0},
         "switch port a")
    soft(vt.check_dict, d["b"], {"rx_packets": 0, "tx_packets": sent},
         "switch port b")
    soft(vt.check_dict, d["b"], {k: 0 for k in d["b"] if k.startswith("drop_")},
         "switch port b drops")
    delta = {lc: {k: after[lc][k] - before[lc][k] for k in after[lc]}
             for lc in after}
    vt.log(f"lcore deltas: {delta}")
    soft.eq(delta[1]["packets"], sent, "lcore 1 packets: every frame a sent")
    soft.eq(delta[2]["packets"], 0, "lcore 2 packets: b sent nothing")
    soft.true(delta[2]["busy_cycles"] > 0 and delta[2]["work_cycles"] > 0,
              f"lcore 2 transmitted {sent} frames from the hand-off ring but "
              f"counted no busy or work cycles: {delta[2]}")
    for lc, v in after.items():
        soft.true(0 < v["work_cycles"] <= v["busy_cycles"],
                  f"lcore {lc}: work cycles not within busy cycles: {v}")
    soft(sw.wait_no_mbufs_in_use)
    soft.fail()
    vt.finish(sw, guests)


if __name__ == "__main__":
    vt.run(body)
