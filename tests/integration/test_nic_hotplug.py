# SPDX-License-Identifier: BSD-3-Clause
"""An af_packet port hot-plugged and removed while guests carry traffic.

Two virtio-user guests (one vs-testguest process, ports a and b) exchange
paced, counted streams in both directions the whole time. Meanwhile, five
times: `port add eth e0 dev net_af_packet0,iface=...` (the switch's end of
a veth pair whose other end, in the host namespace, has 10.99.6.1/24),
5 pings from the host to the icmpecho guest g get 5 replies through it
(e0 moved exactly the frames the host's veth end did), `port del e0`. At
the end the streams arrived whole (every frame once, in order, none lost),
a and b dropped nothing, no mbuf is held, e0 is gone from port list and
from the FDB, and the switch exits cleanly."""

import vstest as vt
import vsnic
from vstest import check, check_eq, log

CYCLES = 5
PPS = 20000


def body(sw_bin, tg_bin):
    topo = vsnic.Topo(subnet=6)
    sw = vsnic.NsSwitch(sw_bin, topo.sw, ["a", "b", "g"]).start()
    ctl = vsnic.Ctl(sw_bin, sw)
    vsnic.IcmpEcho(sw.sockets["g"], sw.dir, topo.sw).start()
    tg = vt.Guest(tg_bin, [("a", sw.sockets["a"], vt.mac_of(0x0a)),
                           ("b", sw.sockets["b"], vt.mac_of(0x0b))],
                  sw.dir, tag="tg").start(vsnic.START_TIMEOUT)
    tg.wait_up()
    a, b = tg.ports
    sw.wait_state(["a", "b", "g"], "up")
    vt.learn(sw, [a, b])

    before = sw.snapshot()
    a.stream_start(b.mac, PPS, flow=1)
    b.stream_start(a.mac, PPS, flow=2)
    log(f"streams a -> b and b -> a at {PPS} pps each")
    for cycle in range(CYCLES):
        k_before = topo.host.stats(topo.host_if)
        ctl.add_eth("e0", topo.devargs())
        s = ctl.wait_link("e0", True)
        check_eq((s["link_changes"], s["connects"], s["disconnects"]),
                 (1, 1, 0), f"new e0 (cycle {cycle}): (link_changes, "
                 f"connects, disconnects)")
        topo.ping_guest(5)

        def e0_against_kernel():
            k = topo.host.stats(topo.host_if)
            e0 = ctl.show("e0")
            want = {"rx_packets": k["tx_packets"] - k_before["tx_packets"],
                    "tx_packets": k["rx_packets"] - k_before["rx_packets"]}
            return {f"e0.{c}": (v, e0[c]) for c, v in want.items()
                    if e0[c] != v}
        vsnic.wait_consistent(e0_against_kernel, 20,
                              f"e0 against the kernel (cycle {cycle})")
        check_eq(ctl.message("port", "del", "e0"), "port e0 removed",
                 f"port del e0 (cycle {cycle})")
        check("e0" not in ctl.port_names(), f"e0 gone (cycle {cycle})")
        check(sw.alive(), f"switch running (cycle {cycle})")
        log(f"cycle {cycle}: e0 added, 5/5 pings through it, removed")
    sent = vt.stop_streams([tg])
    log(f"streams stopped: {sent}")
    check(sent[1] > 0 and sent[2] > 0, f"both streams sent frames: {sent}")
    vt.check_streams_exact({1: (a, b), 2: (b, a)}, sent)

    d = sw.delta(before)
    for n in ("a", "b"):
        vt.check_dict(d[n], {k: 0 for k in d[n] if k.startswith("drop_")},
                      f"switch port {n} drops")
    check_eq(d["a"]["tx_packets"] >= sent[2], True,
             f"a transmitted at least the {sent[2]} frames of b's stream")
    check_eq(sorted(ctl.port_names()), ["a", "b", "g"], "port list at the end")
    fdb_ports = {e[1] for e in sw.fdb()}
    check("e0" not in fdb_ports, f"no FDB entry on e0: {sw.fdb()}")
    sw.wait_no_mbufs_in_use()
    tg.quit()
    rc, out = sw.stop()
    check_eq(rc, 0, "switch exit status after SIGTERM")


if __name__ == "__main__":
    vsnic.run(body)
