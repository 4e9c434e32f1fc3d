# SPDX-License-Identifier: BSD-3-Clause
"""A kernel host pings a guest through the switch's net_tap port.

The switch runs in namespace "sw" and creates the tap there
(`port add eth t0 dev net_tap0,iface=...`). Its link is followed: the tap
set down and up in "sw" is seen both times (state, link_changes, connects,
disconnects; net_tap advertises link interrupts but never raises them, so
the switch polls every link each second). The kernel of "sw" gives the tap
10.99.2.1/24 and pings the guest (dpdk-testpmd in icmpecho mode on vhost
port g) 100 times: 100 replies, and the switch's counters equal the tap's
kernel counters (what the kernel sent into the tap is what t0 received,
and the other way round), g mirrors t0, no drop. The tap keeps an mbuf in
each of its rx descriptors: traffic changes nothing in the pool's use, and
`port del` returns every mbuf and removes the tap.

(The tap stays in the namespace that created it: moved elsewhere, the PMD
can no longer read its link, and the switch sees it down.)"""

import vstest as vt
import vsnic
from vstest import check, check_eq, log

PINGS = 100


def tap_against_switch(sw, host, tap, sw_before, k_before):
    """t0 and g moved exactly what the kernel's tap moved."""
    res = {}

    def compare():
        d = sw.delta(sw_before)
        now = host.stats(tap)
        k = {c: now[c] - k_before[c] for c in now}
        res["d"], res["k"] = d, k
        want = {"t0.rx_packets": k["tx_packets"], "t0.rx_bytes": k["tx_bytes"],
                "t0.tx_packets": k["rx_packets"], "t0.tx_bytes": k["rx_bytes"],
                "g.tx_packets": k["tx_packets"], "g.tx_bytes": k["tx_bytes"],
                "g.rx_packets": k["rx_packets"], "g.rx_bytes": k["rx_bytes"],
                "kernel tap rx_dropped": 0, "kernel tap tx_dropped": 0}
        got = {"kernel tap rx_dropped": k["rx_dropped"],
               "kernel tap tx_dropped": k["tx_dropped"]}
        for n, counters in d.items():
            for c, v in counters.items():
                got[f"{n}.{c}"] = v
                want.setdefault(f"{n}.{c}", 0)
        return {key: (want[key], got.get(key)) for key in want
                if got.get(key) != want[key]}

    vsnic.wait_consistent(compare, 20, "switch counters against the tap's")
    log(f"kernel tap: sent {res['k']['tx_packets']} frames into the switch, "
        f"received {res['k']['rx_packets']}; switch t0: rx "
        f"{res['d']['t0']['rx_packets']}, tx {res['d']['t0']['tx_packets']}")
    return res["d"], res["k"]


def body(sw_bin, tg_bin):
    ns_sw = vsnic.Netns("s")
    tap = vsnic.ifname("t")
    host_ip, guest_ip = "10.99.2.1", "10.99.2.2"

    sw = vsnic.NsSwitch(sw_bin, ns_sw, ["g"]).start()
    ctl = vsnic.Ctl(sw_bin, sw)
    vsnic.IcmpEcho(sw.sockets["g"], sw.dir, ns_sw).start()
    sw.wait_state(["g"], "up")

    devargs = f"net_tap0,iface={tap}"
    ctl.add_eth("t0", devargs)
    check(ns_sw.has_link(tap), f"tap {tap} created in {ns_sw}")
    show = ctl.wait_link("t0", True)
    vt.check_dict(show, {"kind": "eth", "driver": "net_tap",
                         "link_events": "interrupt", "link_changes": 1,
                         "connects": 1, "disconnects": 0},
                  "port show t0 after port add")

    # Link events, while the tap is in the switch's namespace.
    soft = vt.Soft()
    ns_sw.ip("link", "set", tap, "down")
    check("UP" not in ns_sw.link(tap)["flags"], f"{tap} down in the kernel")
    s = ctl.wait_link("t0", False, timeout=10)
    vt.check_dict(s, {"link_changes": 2, "connects": 1, "disconnects": 1},
                  "port show t0 after tap down")
    ns_sw.ip("link", "set", tap, "up")
    s = ctl.wait_link("t0", True)
    vt.check_dict(s, {"link_changes": 3, "connects": 2, "disconnects": 1},
                  "port show t0 after tap up")
    check(sw.alive(), "switch still running after the link events")

    # The kernel side of the tap is the switch namespace's own stack.
    ns_host = ns_sw
    ns_host.ip("addr", "add", f"{host_ip}/24", "dev", tap)
    vt.settle(1.0)
    s = ctl.show("t0")
    check_eq((s["state"], s["link"]), ("up", "up"), "t0 (state, link) addressed")

    idle_in_use = sw.info()["mbufs_in_use"]
    log(f"mbufs in use with the tap's rx ring filled, no traffic: "
        f"{idle_in_use}")
    sw_before = sw.snapshot()
    k_before = ns_host.stats(tap)
    vsnic.ping_all(ns_host, tap, guest_ip, PINGS)
    n = ns_host.neigh(guest_ip, tap)
    check(n is not None and n.get("lladdr") == vsnic.GUEST_MAC,
          f"ARP: {guest_ip} resolved to {vsnic.GUEST_MAC}, entry {n}")
    d, k = tap_against_switch(sw, ns_host, tap, sw_before, k_before)
    check(k["tx_packets"] >= PINGS + 1 and k["rx_packets"] >= PINGS + 1,
          f"the tap carried the pings and the ARP exchange: {k}")
    vt.wait_for(lambda: sw.info()["mbufs_in_use"] == idle_in_use, 5,
                f"mbufs_in_use back to {idle_in_use} (the tap's rx ring)")

    check_eq(ctl.message("port", "del", "t0"), "port t0 removed",
             "port del t0")
    vt.wait_for(lambda: not ns_host.has_link(tap), 10,
                f"tap {tap} gone from {ns_host} after port del")
    check_eq(ctl.port_names(), ["g"], "port list after port del")
    sw.wait_no_mbufs_in_use()
    rc, out = sw.stop()
    check_eq(rc, 0, "switch exit status after SIGTERM")
    soft.fail()


if __name__ == "__main__":
    vsnic.run(body)
