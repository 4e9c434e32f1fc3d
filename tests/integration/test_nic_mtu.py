# SPDX-License-Identifier: BSD-3-Clause
"""port set NAME mtu on an af_packet port.

af_packet takes frames of at most 1518 bytes with their FCS
(max_rx_pktlen), so the switch gives e0 an MTU of 1500 by default and
refuses anything larger: `port set e0 mtu 9000` (and 1501) fail with one
line naming the device and its limit, "MTU 9000 is outside what
net_af_packet0 takes (MIN to 1500)", and leave the port as it was: MTU
1500, up, no link event counted, pings go through.
A vhost port has no MTU to set; 67 and 9001 are outside the command's
range.

A valid smaller MTU, 1400, is accepted ("port e0: MTU 1400"), shown by
port show, and applied: the restart is no link event; frames from the
guest t (vs-testguest) of 1414 bytes (MTU + header) go out, those of 1419
bytes are dropped under mtu_exceeded; 1000 frames in a row go out whole
(more than the 512 slots of af_packet's tx ring: the restarted device
still sends); 100 pings get 100 replies with the switch's counters equal
to the kernel's. Back to 1500, 1514-byte frames go out again."""

import re

import vstest as vt
import vsnic
from vstest import check, check_eq, log

T_MAC = vt.mac_of(0x0a)


def send_out(sw, topo, t, sends, passed, dropped):
    """t sends (length, count) frames to the host; passed (count, bytes)
    must reach the host's veth end, dropped frames count as mtu_exceeded
    on e0."""
    before = sw.snapshot()
    k_before = topo.kernel()
    for length, n in sends:
        r = t.send(topo.host_mac, n, length=length, pps=10000)
        vt.check_dict(r, {"sent": n, "failed": 0}, f"t sends {n} x {length}")
    total = sum(n for _, n in sends)
    vt.expect_delta(sw, before, {
        "t": {"rx_packets": total,
              "rx_bytes": sum(ln * n for ln, n in sends)},
        "e0": {"tx_packets": passed[0], "tx_bytes": passed[1],
               "drop_mtu_exceeded": dropped}}, timeout=30)
    k = vsnic.kernel_delta(k_before, topo.kernel())
    check_eq((k["host"]["rx_packets"], k["host"]["rx_bytes"]), passed,
             f"(packets, bytes) the host's veth end received of {sends}")


def pings(sw, topo, n):
    sw_before = sw.snapshot()
    k_before = topo.kernel()
    topo.ping_guest(n)
    vsnic.check_against_kernel(sw, topo, "e0", "g", sw_before, k_before)


def body(sw_bin, tg_bin):
    topo = vsnic.Topo(subnet=5)
    sw = vsnic.NsSwitch(sw_bin, topo.sw, ["g", "t"]).start()
    ctl = vsnic.Ctl(sw_bin, sw)
    vsnic.IcmpEcho(sw.sockets["g"], sw.dir, topo.sw).start()
    tg = vt.Guest(tg_bin, [("t", sw.sockets["t"], T_MAC)], sw.dir,
                  tag="tg").start(vsnic.START_TIMEOUT)
    tg.wait_up()
    t = tg.ports[0]
    sw.wait_state(["g", "t"], "up")
    ctl.add_eth("e0", topo.devargs())
    first = ctl.wait_link("e0", True)
    check_eq(first["mtu"], 1500, "e0's default MTU")
    topo.ping_guest(10)
    topo.pin_guest_neigh()
    kernel_mtu = topo.sw.link(topo.sw_if)["mtu"]

    unchanged = {"state": "up", "link": "up", "mtu": 1500,
                 "link_changes": first["link_changes"],
                 "connects": first["connects"],
                 "disconnects": first["disconnects"]}
    for mtu in (9000, 1501):
        msg = ctl.refused("port", "set", "e0", "mtu", str(mtu))
        log(f"port set e0 mtu {mtu}: refused: {msg}")
        check(re.fullmatch(rf"MTU {mtu} is outside what net_af_packet0 takes"
                           rf" \(\d+ to 1500\)", msg),
              f"refusal of MTU {mtu} names the device and its limit 1500: "
              f"{msg!r}")
        vt.check_dict(ctl.show("e0"), unchanged,
                      f"port show e0 after MTU {mtu} was refused")
    for words in (("e0", "mtu", "67"), ("e0", "mtu", "9001"),
                  ("g", "mtu", "1400")):
        msg = ctl.refused("port", "set", *words)
        log(f"port set {' '.join(words)}: refused: {msg}")
    check("vhost-user" in ctl.refused("port", "set", "g", "mtu", "1400"),
          "MTU of a vhost port refused as such")
    pings(sw, topo, 20)

    check_eq(ctl.message("port", "set", "e0", "mtu", "1400"),
             "port e0: MTU 1400", "port set e0 mtu 1400")
    vt.check_dict(ctl.show("e0"), dict(unchanged, mtu=1400),
                  "port show e0 after MTU 1400")
    log(f"kernel MTU of {topo.sw_if}: {kernel_mtu} before, "
        f"{topo.sw.link(topo.sw_if)['mtu']} now (the switch's MTU is its "
        f"own limit)")
    send_out(sw, topo, t, [(60, 1), (1414, 5), (1419, 5)],
             (6, 60 + 5 * 1414), 5)
    send_out(sw, topo, t, [(1414, 1000)], (1000, 1000 * 1414), 0)
    check_eq(ctl.show("e0")["drops"]["tx_errors"], 0, "e0 tx_errors")
    pings(sw, topo, 100)

    check_eq(ctl.message("port", "set", "e0", "mtu", "1500"),
             "port e0: MTU 1500", "port set e0 mtu 1500")
    vt.check_dict(ctl.show("e0"), unchanged, "port show e0 back at 1500")
    send_out(sw, topo, t, [(1514, 5)], (5, 5 * 1514), 0)
    pings(sw, topo, 20)
    sw.wait_no_mbufs_in_use()
    tg.quit()
    rc, out = sw.stop()
    check_eq(rc, 0, "switch exit status after SIGTERM")


if __name__ == "__main__":
    vsnic.run(body)
