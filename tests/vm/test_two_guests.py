#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""two_guests: two QEMU guests on two vhost-user ports of the switch ping
each other (every ping answered, both ways) and one sends the other a 1 MiB
file of random bytes with busybox nc, whose SHA-256 on arrival is the one
it had when it left. The switch counts one connect and, after the guests
power off, one disconnect on each port, and the file's bytes on both.

Offloads are on (the default): both guests take checksum and TSO, so A's
large TCP frames with partial checksums go to B as they are, through the
virtio-net header, with no work done in software (tx_sw_gso and tx_sw_csum
zero) and frames larger than the MTU among them.

Guest B's NIC uses packed virtqueues (virtio 1.1, QEMU's packed=on), guest
A's split ones, as the guests and the switch all say: every frame is copied
from one layout into the other, A's TCP frames larger than the MTU into
B's packed ring among them."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vmtest as vt  # noqa: E402

PINGS = 20
KIB = 1024
B_PACKED = True           # guest B on packed virtqueues, guest A on split
VIRTIO_F_RING_PACKED = 34

# A pings B, waits until B has pinged it too (so that A's power-off cannot
# cut B's pings short), then sends the file; B receives it in the
# background meanwhile.
JOB_A = f"""
vs_wait_peer {vt.guest_ip(2)} 180 || exit 1
vs_ping {vt.guest_ip(2)} {PINGS} || exit 1
vs_await 5002
vs_mkfile /tmp/file {KIB}
vs_send {vt.guest_ip(2)} 5001 /tmp/file 60
"""
JOB_B = f"""
vs_recv 5001 /tmp/file &
vs_wait_peer {vt.guest_ip(1)} 180 || exit 1
vs_ping {vt.guest_ip(1)} {PINGS} || exit 1
vs_signal {vt.guest_ip(1)} 5002 60 || exit 1
wait
"""


def body(env, image, d):
    sw = vt.Switch(env, d, [("a", os.path.join(d, "a.sock"), ""),
                            ("b", os.path.join(d, "b.sock"), "")]).start()
    ga = vt.Qemu(env, image, d, "guest-a", os.path.join(d, "a.sock"), 1,
                 JOB_A)
    gb = vt.Qemu(env, image, d, "guest-b", os.path.join(d, "b.sock"), 2,
                 JOB_B, packed=B_PACKED)
    ga.start()
    gb.start()
    for g in (ga, gb):
        g.boot_time()
    for g in (ga, gb):
        kv = g.wait_marker("net")
        vt.check_eq(kv.get("carrier"), "1", f"{g.name}: carrier")
    for name in ("a", "b"):
        sw.wait_port(name, "up, one connect",
                     lambda p: p["state"] == "up" and p["connects"] == 1)
    # The ring layout each guest's driver and the switch agreed on: the
    # guest's features (one '0' or '1' a bit) and the switch's, in hex.
    for g, name, packed in ((ga, "a", False), (gb, "b", B_PACKED)):
        bits = g.wait_marker("net").get("features", "")
        want = "1" if packed else "0"
        vt.check(len(bits) > VIRTIO_F_RING_PACKED and
                 bits[VIRTIO_F_RING_PACKED] == want,
                 f"{g.name}: VIRTIO_F_RING_PACKED {want} expected in its "
                 f"features {bits!r}")
        features = sw.port(name)["features"]
        vt.check((int(features, 16) >> VIRTIO_F_RING_PACKED & 1) == packed,
                 f"switch port {name}: VIRTIO_F_RING_PACKED "
                 f"{'set' if packed else 'clear'} expected in {features}")

    vt.check_ping(ga.wait_marker("ping"), PINGS, "guest-a -> guest-b")
    vt.check_ping(gb.wait_marker("ping"), PINGS, "guest-b -> guest-a")
    made = ga.wait_marker("file")
    sent = ga.wait_marker("sent")
    got = gb.wait_marker("recv")
    vt.check_eq(made.get("bytes"), str(KIB * 1024), "file size at guest-a")
    vt.check_eq(sent.get("rc"), "0", "guest-a's nc exit status")
    vt.check_eq(got.get("bytes"), str(KIB * 1024), "bytes received by "
                "guest-b")
    vt.check_eq(got.get("sha256"), made.get("sha256"),
                "SHA-256 at guest-b (received) vs guest-a (sent)")
    for name in ("a", "b"):
        p = sw.port(name)
        vt.check_eq((p["offload"], p["tx_offloads"]), ("on", "csum,tso4"),
                    f"port {name}: offload, what its guest takes")
    pb = sw.port("b")
    vt.check_eq((pb["tx_sw_gso"], pb["tx_sw_csum"]), (0, 0),
                "port b: work done in software (none: guest-b takes it all)")
    # Passed through whole: the frames to B average more than a full
    # Ethernet frame, which only segmentation requests can make.
    vt.check(pb["tx_bytes"] > pb["tx_packets"] * 1514,
             f"port b: {pb['tx_bytes']} B in {pb['tx_packets']} frames, "
             f"more than 1514 B a frame")
    for reason in ("gso_failed", "bad_offload", "mtu_exceeded"):
        for name in ("a", "b"):
            vt.check_eq(sw.port(name)["drops"][reason], 0,
                        f"port {name}: drops {reason}")
    for g in (ga, gb):
        vt.check_job_done(g)
        vt.check_eq(g.wait_exit(), 0, f"{g.name}: QEMU exit status "
                    "(the guest powered off)")

    pa = sw.wait_port("a", "down, one disconnect",
                      lambda p: p["state"] == "down" and
                      p["disconnects"] == 1)
    pb = sw.wait_port("b", "down, one disconnect",
                      lambda p: p["state"] == "down" and
                      p["disconnects"] == 1)
    vt.log(f"switch: a rx {pa['rx_packets']} pkts {pa['rx_bytes']} B, "
           f"tx {pa['tx_packets']} pkts; b rx {pb['rx_packets']} pkts, "
           f"tx {pb['tx_packets']} pkts {pb['tx_bytes']} B")
    vt.check_eq((pa["connects"], pb["connects"]), (1, 1), "connects")
    vt.check(pa["rx_bytes"] >= KIB * 1024 and pb["tx_bytes"] >= KIB * 1024,
             f"the file's bytes through the switch: a rx_bytes "
             f"{pa['rx_bytes']}, b tx_bytes {pb['tx_bytes']}")
    sw.stop()


vt.run(body)
