#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""reconnect: a guest killed with SIGKILL in the middle of a stream, then
restarted on the same socket, does not disturb the other guests' traffic
(not one frame of the B<->C streams lost or reordered over the whole run),
the switch stays up, counts one disconnect and one connect, and forwards
to and from the new guest exactly."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vstest as vt  # noqa: E402

STREAM_PPS = 50000
N = 5000


def body(sw_bin, tg_bin):
    sw, guests, p = vt.start_all(sw_bin, tg_bin, groups=[["a"], ["b", "c"]])
    ga, gbc = guests
    a, b, c = p["a"], p["b"], p["c"]
    vt.learn(sw, [a, b, c])
    before = sw.snapshot()

    b.stream_start(c.mac, STREAM_PPS, length=256, flow=1)
    c.stream_start(b.mac, STREAM_PPS, length=256, flow=2)
    a.stream_start(b.mac, STREAM_PPS, length=512, flow=3)
    vt.wait_flow(c, b.mac, 1, 2000)
    vt.wait_flow(b, c.mac, 2, 2000)
    vt.wait_flow(b, a.mac, 3, 2000)

    vt.log("kill -9 guest A while all three streams run")
    sw.kill_guest(ga, "a", before)
    # B <-> C keeps flowing while A is away.
    got = vt.flow_received(c, b.mac, 1)
    vt.wait_for(lambda: vt.flow_received(c, b.mac, 1) >= got + 10000, 15,
                "B -> C progress while A is gone")

    vt.log("restart guest A on the same socket")
    ga2 = vt.Guest(tg_bin, ga.spec, sw.dir, tag="g0r").start()
    ga2.wait_up()
    sw.wait_attached("a", before)
    a2 = ga2.ports[0]
    d = sw.delta(before)
    vt.check_dict(d["a"], {"disconnects": 1, "connects": 1},
                  "port a events after the restart")
    for n in ("b", "c"):
        vt.check_dict(d[n], {"disconnects": 0, "connects": 0},
                      f"port {n} events")

    # The FDB still places A on port a; one broadcast re-learns it anyway.
    r = a2.send("bcast", 1, flow=vt.LEARN_FLOW)
    vt.check_eq(r["sent"], 1, "A's re-learning broadcast")
    vt.wait_flow(b, a2.mac, vt.LEARN_FLOW, 1)
    vt.wait_flow(c, a2.mac, vt.LEARN_FLOW, 1)
    r = a2.send(b.mac, N, length=1514, flow=4, pps=50000)
    vt.check_dict(r, {"sent": N, "failed": 0}, "A -> B after the restart")
    vt.wait_flow(b, a2.mac, 4, N)
    got = vt.flow_received(c, b.mac, 1)
    vt.wait_for(lambda: vt.flow_received(c, b.mac, 1) >= got + 10000, 15,
                "B -> C progress after A's return")

    stopped = {s["flow"]: s["sent"] for s in gbc.stream_stop()}
    vt.log(f"streams stopped: sent {stopped}")
    vt.check_after_kill(sw, before, a, a2, b, c,
                        {"a": 3, "bc": 1, "cb": 2, "new": 4}, stopped, N)
    vt.finish(sw, [ga2, gbc])


if __name__ == "__main__":
    vt.run(body)
