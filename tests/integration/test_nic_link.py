# SPDX-License-Identifier: BSD-3-Clause
"""Link down and up on the kernel side of an af_packet port.

The host sets its end of the veth pair down, then up again, twice. The
switch's end loses its carrier each time; the switch (which polls the
kernel interface's carrier every second for af_packet) sees every change:
port show goes to state and link down, then up, link_changes +1 per event,
disconnects +1 per down and connects +1 per up. Nothing moves while the
link is down, the switch keeps running, and afterwards 100 pings to the
guest (dpdk-testpmd, icmpecho) get 100 replies with the switch's counters
equal to the kernel's."""

import vstest as vt
import vsnic
from vstest import check, check_eq, log

PINGS = 100
CYCLES = 2


def body(sw_bin, tg_bin):
    topo = vsnic.Topo(subnet=3)
    sw = vsnic.NsSwitch(sw_bin, topo.sw, ["g"]).start()
    ctl = vsnic.Ctl(sw_bin, sw)
    vsnic.IcmpEcho(sw.sockets["g"], sw.dir, topo.sw).start()
    sw.wait_state(["g"], "up")
    ctl.add_eth("e0", topo.devargs())
    first = ctl.wait_link("e0", True)
    topo.ping_guest(10)

    before = sw.snapshot()
    changes = first["link_changes"]
    connects, disconnects = first["connects"], first["disconnects"]
    for cycle in range(CYCLES):
        topo.host.ip("link", "set", topo.host_if, "down")
        vt.wait_for(lambda: "LOWER_UP" not in
                    topo.sw.link(topo.sw_if)["flags"], 10,
                    f"{topo.sw_if} without carrier")
        s = ctl.wait_link("e0", False)
        disconnects += 1
        changes += 1
        vt.check_dict(s, {"link_changes": changes, "connects": connects,
                          "disconnects": disconnects},
                      f"port show e0 after link down (cycle {cycle})")
        log(f"cycle {cycle}: switch saw the link down")

        topo.host.ip("link", "set", topo.host_if, "up")
        s = ctl.wait_link("e0", True)
        connects += 1
        changes += 1
        vt.check_dict(s, {"link_changes": changes, "connects": connects,
                          "disconnects": disconnects},
                      f"port show e0 after link up (cycle {cycle})")
        log(f"cycle {cycle}: switch saw the link up")
    check(sw.alive(), "switch still running after the link changes")
    # Nothing but the link events happened meanwhile.
    vt.expect_delta(sw, before, {"e0": {"connects": CYCLES,
                                        "disconnects": CYCLES}})

    # Link down flushed the host's neighbours: ARP again, then the pings.
    sw_before = sw.snapshot()
    k_before = topo.kernel()
    topo.ping_guest(PINGS)
    vsnic.check_against_kernel(sw, topo, "e0", "g", sw_before, k_before)
    s = ctl.show("e0")
    vt.check_dict(s, {"state": "up", "link": "up", "link_changes": changes},
                  "port show e0 at the end")
    sw.wait_no_mbufs_in_use()
    rc, out = sw.stop()
    check_eq(rc, 0, "switch exit status after SIGTERM")


if __name__ == "__main__":
    vsnic.run(body)
