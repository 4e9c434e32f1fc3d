#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""ctl_traffic: ports added and removed at run time, under traffic. Two
guests carry a paced stream in each direction while, ten times over, a
third port is added with "port add vhost", a guest attaches to it, frames
pass through it (counted exactly, on a fresh port's zeroed counters), and
the port goes again with "port del", after its guest left or with the
guest still attached. At the end the two streams have lost and reordered
nothing, the port list is back to the two ports, nothing of the third
port is left in the FDB or on disk, and no mbuf is held."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vstest as vt  # noqa: E402

STREAM_PPS = 50000
ROUNDS = 10
N = 500
# The streaming guest's rings: a loss must come from the switch, not from
# a guest the loaded machine kept off the CPU for longer than its rx ring
# lasts (8192 frames: 160 ms at STREAM_PPS).
STREAM_QUEUE_SIZE = 8192


def body(sw_bin, tg_bin):
    ctl_bin = vt.ctl_binary(sw_bin)
    vt.check(os.access(ctl_bin, os.X_OK), f"no vhostswitch-ctl at {ctl_bin}")
    vt.require_hugepages()
    sw = vt.Switch(sw_bin, ("a", "b")).start()
    gab = vt.Guest(tg_bin, [(n, sw.sockets[n], vt.mac_of(0x0a + i))
                            for i, n in enumerate("ab")], sw.dir,
                   queue_size=STREAM_QUEUE_SIZE).start()
    gab.wait_up()
    sw.wait_state(["a", "b"], "up")
    a, b = gab.ports
    ctl = vt.Ctl(ctl_bin, vt.ctl_socket(sw))
    vt.learn(sw, [a, b])
    before = sw.snapshot()

    flows = {1: (a, b), 2: (b, a)}
    a.stream_start(b.mac, STREAM_PPS, length=256, flow=1)
    b.stream_start(a.mac, STREAM_PPS, length=256, flow=2)
    vt.wait_flow(b, a.mac, 1, 2000)
    vt.wait_flow(a, b.mac, 2, 2000)

    cpath = os.path.join(sw.dir, "c.sock")
    # What port c passed on to a and b over all rounds: frames, bytes.
    to_a = [0, 0]
    to_b = [0, 0]
    from_ab = [0, 0]
    cmacs = []
    for rnd in range(ROUNDS):
        # A new MAC each round: the FDB must forget the old one.
        cmac = vt.mac_of(0x20 + rnd)
        cmacs.append(cmac)
        attached_del = rnd % 2 == 1
        how = "with its guest attached" if attached_del else "after it left"
        vt.log(f"round {rnd}: port c with guest {cmac}, deleted {how}")
        vt.check_eq(ctl.message("port", "add", "vhost", "c", "socket", cpath),
                    f"port c added: vhost-user server on {cpath}",
                    "port add vhost c")
        vt.check(os.path.exists(cpath), f"{cpath} not created")
        rows = ctl.json("port", "list")["ports"]
        vt.check_eq([(r["name"], r["state"]) for r in rows],
                    [("a", "up"), ("b", "up"), ("c", "down")],
                    "port list after port add")
        vt.check_eq(ctl.json("lcore", "show")["lcores"][0]["polls"],
                    "a:0 b:0 c:0", "lcore show after port add")

        gc = vt.Guest(tg_bin, [("c", cpath, cmac)], sw.dir,
                      tag=f"c{rnd}").start()
        gc.wait_up()
        sw.wait_state(["c"], "up")
        c = gc.ports[0]
        show = ctl.json("port", "show", "c")
        vt.check_dict(show, {
            "state": "up", "connects": 1, "disconnects": 0, "xconnect": "",
            "rx_packets": 0, "rx_bytes": 0, "tx_packets": 0, "tx_bytes": 0},
            f"round {rnd}: the new port c")
        vt.check_eq(show["drops"], {k: 0 for k in show["drops"]},
                    f"round {rnd}: drops of the new port c")

        # c announces itself; a and b hear it once.
        r = c.send("bcast", 1, flow=vt.LEARN_FLOW)
        vt.check_eq(r["sent"], 1, "c's broadcast")
        vt.wait_flow(a, cmac, vt.LEARN_FLOW, 1)
        vt.wait_flow(b, cmac, vt.LEARN_FLOW, 1)
        vt.wait_for(lambda: any(e["mac"] == cmac and e["port"] == "c" and
                                e["type"] == "dynamic" for e in
                                ctl.json("fdb", "show")["entries"]), 10,
                    f"{cmac} learned on c")
        r = c.send(a.mac, N, length=100, flow=3, pps=20000)
        vt.check_dict(r, {"sent": N, "failed": 0}, "c -> a")
        r = c.send(b.mac, N, length=200, flow=4, pps=20000)
        vt.check_dict(r, {"sent": N, "failed": 0}, "c -> b")
        r = b.send(cmac, N, length=300, flow=10 + rnd, pps=20000)
        vt.check_dict(r, {"sent": N, "failed": 0}, "b -> c")
        vt.wait_flow(a, cmac, 3, N)
        vt.wait_flow(b, cmac, 4, N)
        vt.wait_flow(c, b.mac, 10 + rnd, N)
        vt.settle(0.1)
        vt.check_flow_exact(a, cmac, vt.LEARN_FLOW, 1)
        vt.check_flow_exact(b, cmac, vt.LEARN_FLOW, 1)
        vt.check_flow_exact(a, cmac, 3, N)
        vt.check_flow_exact(b, cmac, 4, N)
        vt.check_flow_exact(c, b.mac, 10 + rnd, N)
        vt.check_dict(c.stats(), {"rx_frames": N, "rx_good": N, "rx_bad": 0,
                                  "rx_foreign": 0, "rx_not_for_us": 0},
                      f"round {rnd}: guest c received only b's frames")
        to_a[0] += 1 + N
        to_a[1] += 60 + N * 100
        to_b[0] += 1 + N
        to_b[1] += 60 + N * 200
        from_ab[0] += N
        from_ab[1] += N * 300
        # Port c's own counters: exactly what passed through it.
        show = ctl.json("stats", "c")
        vt.check_dict(show, {"rx_packets": 1 + 2 * N,
                             "rx_bytes": 60 + N * 100 + N * 200,
                             "tx_packets": N, "tx_bytes": N * 300},
                      f"round {rnd}: stats c")
        vt.check_eq(show["drops"], {k: 0 for k in show["drops"]},
                    f"round {rnd}: drops of port c")

        if not attached_del:
            gc.quit()
            vt.wait_for(lambda: ctl.json("port", "show", "c")["state"] ==
                        "down", 15, "port c down after its guest left")
        vt.check_eq(ctl.message("port", "del", "c"), "port c removed",
                    "port del c")
        if attached_del:
            gc.quit()
        vt.check(not os.path.exists(cpath), f"{cpath} left after port del")
        rows = ctl.json("port", "list")["ports"]
        vt.check_eq([(r["name"], r["state"]) for r in rows],
                    [("a", "up"), ("b", "up")], "port list after port del")
        fdb = ctl.json("fdb", "show")
        vt.check_eq({e["mac"]: (e["port"], e["type"])
                     for e in fdb["entries"]},
                    {a.mac: ("a", "dynamic"), b.mac: ("b", "dynamic")},
                    f"round {rnd}: FDB after port del")
        vt.check_eq(ctl.json("lcore", "show")["lcores"][0]["polls"],
                    "a:0 b:0", "lcore show after port del")
        vt.check(sw.alive(), "switch alive")
        # The streams still flow.
        got = vt.flow_received(b, a.mac, 1)
        vt.wait_for(lambda: vt.flow_received(b, a.mac, 1) >= got + 1000, 15,
                    "a -> b progress")

    sent = vt.stop_streams([gab])
    vt.log(f"streams stopped: sent {sent}")
    vt.check_streams_exact(flows, sent)
    vt.check_dict(a.stats(), {"rx_bad": 0, "rx_foreign": 0,
                              "rx_not_for_us": 0}, "guest a receive errors")
    vt.check_dict(b.stats(), {"rx_bad": 0, "rx_foreign": 0,
                              "rx_not_for_us": 0}, "guest b receive errors")
    delta = sw.delta(before)
    vt.check_eq(sorted(delta), ["a", "b"], "ports at the end")
    vt.check_no_drops(delta)
    vt.check_dict(delta["a"], {
        "rx_packets": sent[1], "rx_bytes": sent[1] * 256,
        "tx_packets": sent[2] + to_a[0], "tx_bytes": sent[2] * 256 + to_a[1]},
        "switch port a over the whole run")
    vt.check_dict(delta["b"], {
        "rx_packets": sent[2] + from_ab[0],
        "rx_bytes": sent[2] * 256 + from_ab[1],
        "tx_packets": sent[1] + to_b[0], "tx_bytes": sent[1] * 256 + to_b[1]},
        "switch port b over the whole run")
    fdb = ctl.json("fdb", "show")
    vt.check_eq(sorted(e["mac"] for e in fdb["entries"]), [a.mac, b.mac],
                "FDB at the end")
    vt.check(not set(cmacs) & {e[0] for e in sw.fdb()},
             "a deleted port's MAC in /vhostswitch/fdb")
    vt.check_eq(sw.port_names(), ["a", "b"], "/vhostswitch/ports at the end")
    sw.wait_no_mbufs_in_use()
    vt.check_eq(ctl.json("stats")["mbufs_in_use"], 0, "stats: mbufs_in_use")
    vt.finish(sw, [gab])


if __name__ == "__main__":
    vt.run(body)
