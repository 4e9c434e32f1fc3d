# SPDX-License-Identifier: BSD-3-Clause
"""A kernel host pings a guest through the switch's af_packet port.

Namespace "host" holds one end of a veth pair with 10.99.1.1/24; the switch
runs in namespace "sw", which holds the other end, attached as
`port add eth e0 dev net_af_packet0,iface=...`. The guest is dpdk-testpmd in
icmpecho mode on vhost port g. ARP resolves to the guest's MAC, 100 pings
get 100 replies, and the switch's counters equal the kernel's: e0 received
exactly the frames the host's veth end sent (packets and bytes) and sent
exactly those it received; g mirrors e0; testpmd's own forward statistics
agree with g; no drop; no mbuf held. IPv6 is off in both namespaces, so
the kernel sends nothing but ARP and the pings."""

import vstest as vt
import vsnic
from vstest import check, check_eq, log

PINGS = 100


def body(sw_bin, tg_bin):
    topo = vsnic.Topo(subnet=1)
    sw = vsnic.NsSwitch(sw_bin, topo.sw, ["g"]).start()
    ctl = vsnic.Ctl(sw_bin, sw)
    guest = vsnic.IcmpEcho(sw.sockets["g"], sw.dir, topo.sw).start()
    sw.wait_state(["g"], "up")

    ctl.add_eth("e0", topo.devargs())
    show = ctl.wait_link("e0", True)
    vt.check_dict(show, {"kind": "eth", "device": "net_af_packet0",
                         "driver": "net_af_packet", "devargs": topo.devargs(),
                         "link_events": "polled", "mtu": 1500,
                         "rx_queues": 1, "link_changes": 1, "connects": 1,
                         "disconnects": 0}, "port show e0 after port add")
    check_eq(sorted(ctl.port_names()), ["e0", "g"], "port list")

    sw_before = sw.snapshot()
    k_before = topo.kernel()
    topo.ping_guest(PINGS)
    n = topo.host.neigh(topo.guest_ip, topo.host_if)
    check(n is not None and n.get("lladdr") == vsnic.GUEST_MAC,
          f"ARP: {topo.guest_ip} resolved to {vsnic.GUEST_MAC}, "
          f"neighbour entry {n}")

    d, k = vsnic.check_against_kernel(sw, topo, "e0", "g", sw_before,
                                      k_before)
    # At least the requests and the replies, plus the ARP exchange.
    check(k["host"]["tx_packets"] >= PINGS + 1,
          f"host sent {k['host']['tx_packets']} frames: expected at least "
          f"{PINGS} echo requests and an ARP request")
    check(k["host"]["rx_packets"] >= PINGS + 1,
          f"host received {k['host']['rx_packets']} frames: expected at "
          f"least {PINGS} echo replies and an ARP reply")

    fdb = {e[0]: e[1] for e in sw.fdb()}
    check_eq(fdb.get(topo.host_mac), "e0", f"FDB port of the host's MAC "
             f"{topo.host_mac}")
    check_eq(fdb.get(vsnic.GUEST_MAC), "g", "FDB port of the guest's MAC")
    sw.wait_no_mbufs_in_use()

    # The guest's own count, since it started: what the switch gave it and
    # took from it (the switch's totals: g carried nothing else).
    total = sw.port("g")
    tp = guest.stop()
    log(f"testpmd forward statistics: {tp}; switch port g: rx "
        f"{total['rx_packets']}, tx {total['tx_packets']}")
    check_eq(tp, {"rx": total["tx_packets"], "tx": total["rx_packets"]},
             "testpmd's RX/TX-packets against switch port g's tx/rx")

    rc, out = sw.stop()
    check_eq(rc, 0, "switch exit status after SIGTERM")


if __name__ == "__main__":
    vsnic.run(body)
