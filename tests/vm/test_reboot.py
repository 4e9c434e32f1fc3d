#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""reboot: a guest (QEMU without -no-reboot) pings a testpmd icmpecho
peer, reboots itself, and pings it again afterwards, every ping answered
both times. The switch's port counts the guest's device: one connect
before the reboot; the reset tears it down (one disconnect) and the new
kernel's driver brings a new device (a second connect); the power-off at
the end is the second disconnect. The guest holds at each step (vs_hold)
until the test has looked at the switch, so the counts are exact."""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vmtest as vt  # noqa: E402

PINGS = 10
PEER = vt.guest_ip(99)

# $VS_BOOT counts boots (CMOS); the first reboots, the second powers off.
JOB = f"""
vs_wait_peer {PEER} 180 || exit 1
vs_ping {PEER} {PINGS} || exit 1
vs_hold boot$VS_BOOT
[ "$VS_BOOT" = 1 ] && vs_reboot
exit 0
"""


def events(p):
    return {k: p[k] for k in ("state", "connects", "disconnects")}


def body(env, image, d):
    sw = vt.Switch(env, d, [("a", os.path.join(d, "a.sock"), ""),
                            ("b", os.path.join(d, "b.sock"), "")]).start()
    tp = vt.Testpmd(env, d, os.path.join(d, "b.sock")).start(sw, "b")
    g = vt.Qemu(env, image, d, "guest-a", os.path.join(d, "a.sock"), 1, JOB,
                reboot=True)
    g.start()

    vt.check_eq(g.wait_marker("boot", n=1).get("n"), "1", "first boot count")
    g.boot_time()
    vt.check_ping(g.wait_marker("ping", n=1), PINGS, "pings before reboot")
    g.wait_marker("hold", name="boot1")
    p = sw.port("a")
    vt.log(f"switch port a before the reboot: {events(p)}")
    vt.check_eq(events(p), {"state": "up", "connects": 1, "disconnects": 0},
                "switch port a before the reboot")
    t = time.monotonic()
    g.release("boot1")
    g.wait_marker("reboot")

    vt.check_eq(g.wait_marker("boot", n=2).get("n"), "2", "second boot count")
    g.wait_marker("net", n=2)
    vt.log(f"{g.name}: rebooted in {time.monotonic() - t:.1f}s")
    vt.check_ping(g.wait_marker("ping", n=2), PINGS, "pings after reboot")
    g.wait_marker("hold", name="boot2")
    p = sw.port("a")
    vt.log(f"switch port a after the reboot: {events(p)}")
    vt.check_eq(events(p), {"state": "up", "connects": 2, "disconnects": 1},
                "switch port a after the reboot (one device torn down, a "
                f"new one set up)\nport show a:\n{sw.port_text('a')}")
    g.release("boot2")

    vt.check_job_done(g)
    vt.check_eq(g.wait_exit(), 0, "QEMU exit status (the guest powered off)")
    vt.check_eq(len([m for m in g.markers() if m[0] == "boot"]), 2,
                "boots")
    p = sw.wait_port("a", "down after the power-off",
                     lambda p: p["state"] == "down" and
                     p["disconnects"] >= 2)
    vt.check_eq(events(p), {"state": "down", "connects": 2,
                            "disconnects": 2}, "switch port a at the end")
    tp.stop()
    sw.stop()


vt.run(body, testpmd=True)
