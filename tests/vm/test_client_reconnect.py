#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""client_reconnect: QEMU serves the vhost-user socket (chardev
server=on,wait=off) and the switch's port is its client. The first guest
pings a testpmd icmpecho peer; then QEMU is killed (SIGKILL, no goodbye)
and the switch counts the disconnect while it keeps trying to reconnect; a
new QEMU on the same socket path brings a new guest, which the switch
reconnects to by itself, and whose pings are answered too."""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vmtest as vt  # noqa: E402

PINGS = 10
PEER = vt.guest_ip(99)

JOB = f"""
vs_wait_peer {PEER} 180 || exit 1
vs_ping {PEER} {PINGS} || exit 1
vs_hold checked
"""


def events(p):
    return {k: p[k] for k in ("state", "mode", "connects", "disconnects")}


def wait_connected(sw, g):
    """QEMU starts the guest only once the switch has connected: logs when
    it did (the switch retries once a second)."""
    vt.wait_for(lambda: vt.unix_connected(g.sock), 120,
                f"the switch connected to {g.name}'s socket", interval=0.05)
    vt.log(f"{g.name}: the switch connected "
           f"{time.monotonic() - g.started:.1f}s after QEMU's start")


def body(env, image, d):
    qsock = os.path.join(d, "qemu-a.sock")
    sw = vt.Switch(env, d, [("a", qsock, "client"),
                            ("b", os.path.join(d, "b.sock"), "")]).start()
    tp = vt.Testpmd(env, d, os.path.join(d, "b.sock")).start(sw, "b")
    vt.check_eq(events(sw.port("a")), {"state": "down", "mode": "client",
                                       "connects": 0, "disconnects": 0},
                "switch port a before QEMU")

    # Each guest holds after its pings until the test has looked at the
    # switch; the first one is killed there.
    g1 = vt.Qemu(env, image, d, "guest-1", qsock, 1, JOB, server=True)
    g1.start()
    wait_connected(sw, g1)
    g1.boot_time()
    vt.check_ping(g1.wait_marker("ping"), PINGS, "first guest's pings")
    g1.wait_marker("hold", name="checked")
    p = sw.port("a")
    vt.check_eq(events(p), {"state": "up", "mode": "client", "connects": 1,
                            "disconnects": 0}, "switch port a with guest 1")

    g1.kill9()
    p = sw.wait_port("a", "down and the disconnect counted",
                     lambda p: p["state"] == "down" and
                     p["disconnects"] == 1)
    vt.check_eq(events(p), {"state": "down", "mode": "client", "connects": 1,
                            "disconnects": 1}, "switch port a after the kill")
    vt.check(sw.alive(), "the switch died with QEMU")
    # The switch keeps connecting to a socket nobody serves for a while.
    time.sleep(3)
    vt.check_eq(events(sw.port("a"))["state"], "down",
                "switch port a with nobody on the socket")

    g2 = vt.Qemu(env, image, d, "guest-2", qsock, 2, JOB, server=True)
    g2.start()
    wait_connected(sw, g2)
    g2.boot_time()
    vt.check_ping(g2.wait_marker("ping"), PINGS, "second guest's pings")
    g2.wait_marker("hold", name="checked")
    p = sw.port("a")
    vt.check_eq(events(p), {"state": "up", "mode": "client", "connects": 2,
                            "disconnects": 1},
                "switch port a after reconnecting to guest 2")
    g2.release("checked")
    vt.check_job_done(g2)
    vt.check_eq(g2.wait_exit(), 0, "QEMU 2 exit status (powered off)")
    p = sw.wait_port("a", "down after guest 2's power-off",
                     lambda p: p["state"] == "down" and
                     p["disconnects"] == 2)
    vt.check_eq(events(p), {"state": "down", "mode": "client", "connects": 2,
                            "disconnects": 2}, "switch port a at the end")
    tp.stop()
    sw.stop()


vt.run(body, testpmd=True)
