# SPDX-License-Identifier: BSD-3-Clause
"""Runt and oversized frames on an af_packet port, from the kernel side and
towards it.

Ports: e0 (af_packet on the switch's end of a veth pair; the host's end
has 10.99.4.1/24), g (dpdk-testpmd in icmpecho mode, MAC ...:99) and t
(vs-testguest, which sends frames of any length 60..1514). e0 starts at
its default MTU, 1500 (af_packet's limit), and is set to 1492 so that
t's longest frames exceed it, whatever the kernel interfaces' MTU.

Runts. A raw AF_PACKET socket in the host namespace tries a 10-byte frame:
Linux refuses it (EINVAL: an Ethernet device takes at least its 14-byte
header from a packet socket), so the kernel cannot put a runt on the wire;
should it ever send one, e0 must count it under runt. A 14-byte frame (a
bare header) is no runt: it reaches g. A device that hands the switch
empty frames does exist: an af_packet port with framesz=64, whose
TPACKET_V2 ring slots are smaller than the frame's offset in them (66), so
every frame arrives with 0 bytes: 20 frames sent to it are 20 runts on
that port, and nothing else moves. Its tx slots are as small (32 bytes of
data): frames flooded to it are counted as tx_errors, and not as
transmitted. [Today they are counted as both; see the message.]

Too long for e0, from the guest side: t sends frames of 1506 bytes (e0's
MTU + header: they go out, the host's veth receives them) and of 1511 and
1514 bytes (more than e0 takes even with a VLAN tag: dropped on output,
mtu_exceeded on e0, the kernel sees none).

Too long for e0, from the kernel side (both veth ends' MTU raised to 3000):
frames of 1600 and 2000 bytes to g's MAC are longer than e0's MTU allows.
Expected: not delivered to g, counted once each on e0 (mtu_exceeded or
rx_errors). [The switch enforces the MTU only on output, and af_packet
passes whatever the kernel delivers, cut to 1982 bytes by its 2048-byte
ring slots: these checks fail today; see the message.]

Afterwards 100 pings still get 100 replies with the switch's counters
equal to the kernel's, and no mbuf is held."""

import errno

import vstest as vt
import vsnic
from vstest import check, check_eq, log

T_MAC = vt.mac_of(0x0a)
RUNTS = 20


def body(sw_bin, tg_bin):
    topo = vsnic.Topo(subnet=4)
    sw = vsnic.NsSwitch(sw_bin, topo.sw, ["g", "t"]).start()
    ctl = vsnic.Ctl(sw_bin, sw)
    vsnic.IcmpEcho(sw.sockets["g"], sw.dir, topo.sw).start()
    tg = vt.Guest(tg_bin, [("t", sw.sockets["t"], T_MAC)], sw.dir,
                  tag="tg").start(vsnic.START_TIMEOUT)
    tg.wait_up()
    t = tg.ports[0]
    sw.wait_state(["g", "t"], "up")
    ctl.add_eth("e0", topo.devargs())
    check_eq(ctl.wait_link("e0", True)["mtu"], 1500, "e0's default MTU")
    check_eq(ctl.message("port", "set", "e0", "mtu", "1492"),
             "port e0: MTU 1492", "port set e0 mtu 1492")
    check_eq(ctl.wait_link("e0", True)["mtu"], 1492, "e0's MTU")
    # ARP resolves, the switch learns the host and the guest; then no more
    # ARP (a permanent entry), so that every count below is exact.
    topo.ping_guest(10)
    topo.pin_guest_neigh()
    host, hif = topo.host, topo.host_if
    soft = vt.Soft()

    # --- runts from the kernel side
    before = sw.snapshot()
    res = vsnic.send_raw(host, hif, vsnic.raw_frame(vsnic.GUEST_MAC,
                                                    topo.host_mac, 10))
    if res == [-errno.EINVAL]:
        log("the kernel refuses to send a 10-byte frame (EINVAL), as "
            "expected: no runt can come from a veth")
        vt.expect_delta(sw, before, {})
    else:
        check_eq(res, [10], "send() of a 10-byte frame")
        vt.expect_delta(sw, before, {"e0": {"rx_packets": 1, "rx_bytes": 10,
                                            "drop_runt": 1}})

    before = sw.snapshot()
    res = vsnic.send_raw(host, hif, vsnic.raw_frame(vsnic.GUEST_MAC,
                                                    topo.host_mac, 14))
    check_eq(res, [14], "send() of a 14-byte frame")
    vt.expect_delta(sw, before, {"e0": {"rx_packets": 1, "rx_bytes": 14},
                                 "g": {"tx_packets": 1, "tx_bytes": 14}})
    log("a 14-byte frame (bare header) is forwarded, not a runt")

    rh, rs = vsnic.ifname("rh"), vsnic.ifname("rs")
    vsnic.veth(host, rh, topo.sw, rs)
    ctl.add_eth("r0", f"net_af_packet1,iface={rs},framesz=64")
    ctl.wait_link("r0", True)
    before = sw.snapshot()
    res = vsnic.send_raw(host, rh, vsnic.raw_frame(vsnic.GUEST_MAC,
                                                   host.mac(rh), 60), RUNTS)
    check_eq(res, [60] * RUNTS, f"send() of {RUNTS} 60-byte frames on {rh}")
    vt.expect_delta(sw, before, {"r0": {"rx_packets": RUNTS, "rx_bytes": 0,
                                        "drop_runt": RUNTS}})
    log(f"{RUNTS} empty frames from an af_packet device with framesz=64: "
        f"{RUNTS} runts")
    # The same device sends no frame over 32 bytes (its tx slots are as
    # small): t floods 5 frames (unknown destination) to g, e0 and r0; r0
    # must count them as tx_errors, not as transmitted.
    before = sw.snapshot()
    k_before = topo.kernel()
    r = t.send(vt.mac_of(0x77), 5, length=60, pps=1000)
    vt.check_dict(r, {"sent": 5, "failed": 0}, "t floods 5 x 60")

    def flooded():
        d = sw.delta(before)
        return d["r0"]["drop_tx_errors"] + d["r0"]["tx_packets"] >= 5 and \
            d["e0"]["tx_packets"] >= 5 and d["g"]["tx_packets"] >= 5
    vt.wait_for(flooded, 10, "the flood to reach r0, e0 and g")
    vt.settle()
    d = sw.delta(before)
    log(f"5 frames flooded to r0 (which cannot send them): r0 tx_packets "
        f"{d['r0']['tx_packets']}, tx_errors {d['r0']['drop_tx_errors']}; "
        f"e0 tx_packets {d['e0']['tx_packets']}")
    soft(vt.check_dict, d["r0"], {"tx_packets": 0, "tx_bytes": 0,
                                  "drop_tx_errors": 5},
         "r0 after 5 frames its device could not send")
    soft(vt.check_dict, d["e0"], {"tx_packets": 5, "tx_bytes": 300},
         "e0 after the flood")
    k = vsnic.kernel_delta(k_before, topo.kernel())
    soft.eq(k["host"]["rx_packets"], 5, "flooded frames the host received")
    check_eq(ctl.message("port", "del", "r0"), "port r0 removed",
             "port del r0")

    # --- too long for e0, from the guest side
    before = sw.snapshot()
    k_before = topo.kernel()
    sent = {}
    for length, n in ((60, 1), (1506, 5), (1511, 5), (1514, 5)):
        r = t.send(topo.host_mac, n, length=length, pps=1000)
        vt.check_dict(r, {"sent": n, "failed": 0}, f"t sends {n} x {length}")
        sent[length] = n
    ok_pkts, ok_bytes = 6, 60 + 5 * 1506
    vt.expect_delta(sw, before, {
        "t": {"rx_packets": 16, "rx_bytes": 60 + 5 * (1506 + 1511 + 1514)},
        "e0": {"tx_packets": ok_pkts, "tx_bytes": ok_bytes,
               "drop_mtu_exceeded": 10}})
    k = vsnic.kernel_delta(k_before, topo.kernel())
    check_eq((k["host"]["rx_packets"], k["host"]["rx_bytes"]),
             (ok_pkts, ok_bytes), "frames (packets, bytes) the host's veth "
             "end received from t")
    log("from t: 60 and 1506 B went out of e0; 1511 and 1514 B counted "
        "under mtu_exceeded")

    # --- too long for e0, from the kernel side
    for dev in ((host, hif), (topo.sw, topo.sw_if)):
        dev[0].ip("link", "set", dev[1], "mtu", "3000")
    for length in (1600, 2000):
        before = sw.snapshot()
        res = vsnic.send_raw(host, hif, vsnic.raw_frame(
            vsnic.GUEST_MAC, topo.host_mac, length))
        check_eq(res, [length], f"send() of a {length}-byte frame")

        def seen():
            e = sw.delta(before)["e0"]
            return e["rx_packets"] + e["drop_rx_errors"] + \
                e["drop_rx_missed"] >= 1
        soft(vt.wait_for, seen, 10, f"e0 to receive or count the "
             f"{length}-byte frame")
        vt.settle(0.5)
        d = sw.delta(before)
        e0, g = d["e0"], d["g"]
        log(f"{length}-byte frame from the kernel: e0 rx {e0['rx_packets']} "
            f"({e0['rx_bytes']} B), mtu_exceeded {e0['drop_mtu_exceeded']},"
            f" rx_errors {e0['drop_rx_errors']}; g tx {g['tx_packets']} "
            f"({g['tx_bytes']} B)")
        if g["tx_packets"] and g["tx_bytes"] != length:
            soft.failures.append(
                f"a {length}-byte frame from the kernel reached g cut to "
                f"{g['tx_bytes']} bytes (e0 received {e0['rx_bytes']} B): "
                f"af_packet's ring slot truncates it and the switch "
                f"forwards the remains as a whole frame")
            log(f"MISMATCH: {soft.failures[-1]}")
        soft.eq(g["tx_packets"], 0, f"{length}-byte frame (e0's MTU is "
                f"1492) delivered to g")
        soft.eq(e0["drop_mtu_exceeded"] + e0["drop_rx_errors"], 1,
                f"{length}-byte frame counted on e0 under mtu_exceeded or "
                f"rx_errors")
        others = {f"{n}.{c}": v for n, cs in d.items() for c, v in cs.items()
                  if v and not (n == "e0" and c in ("rx_packets", "rx_bytes",
                                                    "drop_mtu_exceeded",
                                                    "drop_rx_errors"))
                  and not (n == "g" and c in ("tx_packets", "tx_bytes"))}
        soft.eq(others, {}, f"other counters moved by the {length}-byte "
                f"frame")

    # --- nothing else disturbed
    sw_before = sw.snapshot()
    k_before = topo.kernel()
    topo.ping_guest(100)
    vsnic.check_against_kernel(sw, topo, "e0", "g", sw_before, k_before)
    check_eq(sorted(ctl.port_names()), ["e0", "g", "t"], "port list")
    check(sw.alive(), "switch running")
    sw.wait_no_mbufs_in_use()
    tg.quit()
    rc, out = sw.stop()
    check_eq(rc, 0, "switch exit status after SIGTERM")
    soft.fail()


if __name__ == "__main__":
    vsnic.run(body)
