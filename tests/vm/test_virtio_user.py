#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""virtio_user: a QEMU guest and a virtio-user "guest" (Debian's
dpdk-testpmd in icmpecho mode on a net_virtio_user port) on two ports of
the switch: every ping of the guest is answered, small ones and ones that
fill a 1500-byte MTU, to the testpmd's address and to others (icmpecho
answers ARP and ping for any address)."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vmtest as vt  # noqa: E402

PINGS = 20
PEER = vt.guest_ip(99)
OTHER = vt.guest_ip(77)

JOB = f"""
vs_wait_peer {PEER} 180 || exit 1
vs_ping {PEER} {PINGS} || exit 1
vs_ping {PEER} {PINGS} 0.2 1472 || exit 1
vs_ping {OTHER} {PINGS} || exit 1
"""


def body(env, image, d):
    sw = vt.Switch(env, d, [("a", os.path.join(d, "a.sock"), ""),
                            ("b", os.path.join(d, "b.sock"), "")]).start()
    tp = vt.Testpmd(env, d, os.path.join(d, "b.sock")).start(sw, "b")
    g = vt.Qemu(env, image, d, "guest-a", os.path.join(d, "a.sock"), 1, JOB)
    g.start()
    g.boot_time()
    vt.check_ping(g.wait_marker("ping", ip=PEER, size=56), PINGS,
                  f"guest -> testpmd ({PEER}), 64-byte")
    vt.check_ping(g.wait_marker("ping", ip=PEER, size=1472), PINGS,
                  f"guest -> testpmd ({PEER}), 1500-byte frames")
    vt.check_ping(g.wait_marker("ping", ip=OTHER), PINGS,
                  f"guest -> testpmd ({OTHER})")
    vt.check_job_done(g)
    vt.check_eq(g.wait_exit(), 0, "QEMU exit status (the guest powered off)")
    pa = sw.wait_port("a", "down, one disconnect",
                      lambda p: p["state"] == "down" and
                      p["disconnects"] == 1)
    pb = sw.port("b")
    vt.log(f"switch: a rx {pa['rx_packets']} tx {pa['tx_packets']}, "
           f"b rx {pb['rx_packets']} tx {pb['tx_packets']}")
    # Every request and reply went through the switch.
    vt.check(pa["rx_packets"] >= 3 * PINGS and pa["tx_packets"] >= 3 * PINGS,
             f"port a counted the pings: rx {pa['rx_packets']}, "
             f"tx {pa['tx_packets']}")
    tp.stop()
    sw.stop()


vt.run(body, testpmd=True)
