#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""multiqueue: a guest with two vCPUs and a two-queue-pair NIC (QEMU
-netdev vhost-user,queues=2, virtio-net-pci mq=on) on a switch port with
`queues 2`. Linux enables both queue pairs and sends on the queue of the
CPU it sends from (XPS); several pings at once, to different addresses of
a testpmd icmpecho peer and pinned to alternate vCPUs, make frames arrive
on both of the port's queue pairs: its per-queue rx counters are non-zero
on both, and every ping is answered."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vmtest as vt  # noqa: E402

PINGS = 20
PEER = vt.guest_ip(99)
FLOWS = [vt.guest_ip(100 + i) for i in range(6)]

# Flow i pings from vCPU i % 2 (busybox taskset), all at once.
JOB = f"""
vs_wait_peer {PEER} 180 || exit 1
vs_mark mq cpus=$(nproc) txq=$(ls -d /sys/class/net/$VS_DEV/queues/tx-* | wc -l) \\
    rxq=$(ls -d /sys/class/net/$VS_DEV/queues/rx-* | wc -l) \\
    xps0=$(cat /sys/class/net/$VS_DEV/queues/tx-0/xps_cpus) \\
    xps1=$(cat /sys/class/net/$VS_DEV/queues/tx-1/xps_cpus)
i=0
for ip in {' '.join(FLOWS)}; do
    taskset $((1 << (i % 2))) sh -c ". /vs/lib.sh; vs_ping $ip {PINGS}" &
    i=$((i + 1))
done
wait
vs_hold checked
"""


def body(env, image, d):
    sw = vt.Switch(env, d, [("a", os.path.join(d, "a.sock"), "queues 2"),
                            ("b", os.path.join(d, "b.sock"), "")]).start()
    tp = vt.Testpmd(env, d, os.path.join(d, "b.sock")).start(sw, "b")
    g = vt.Qemu(env, image, d, "guest-a", os.path.join(d, "a.sock"), 1, JOB,
                smp=2, queues=2)
    g.start()
    g.boot_time()
    mq = g.wait_marker("mq")
    vt.check_eq((mq.get("cpus"), mq.get("txq"), mq.get("rxq")),
                ("2", "2", "2"), "guest: vCPUs, tx and rx queues")
    for ip in FLOWS:
        vt.check_ping(g.wait_marker("ping", ip=ip), PINGS,
                      f"guest -> {ip}")
    g.wait_marker("hold", name="checked")
    p = sw.port("a")
    queues = {q["queue"]: q for q in p["queues"]}
    vt.log("switch port a: vrings %s enabled %s, queues %s" % (
        p["vrings"], p["vrings_enabled"],
        [(q["queue"], q["enabled"], q["rx_packets"], q["tx_packets"])
         for q in p["queues"]]))
    vt.check_eq(sorted(queues), [0, 1], "switch port a's queue pairs")
    vt.check_eq((p["vrings"], p["vrings_enabled"]), (4, "0xf"),
                "switch port a: vrings set up and enabled")
    vt.check([q["enabled"] for q in p["queues"]] == [True, True],
             f"both queue pairs enabled:\n{sw.port_text('a')}")
    vt.check(all(queues[q]["rx_packets"] > 0 for q in (0, 1)),
             f"rx on both queue pairs of port a:\n{sw.port_text('a')}")
    vt.check_eq(sum(q["rx_packets"] for q in p["queues"]), p["rx_packets"],
                "port a: per-queue rx adds up")
    g.release("checked")
    vt.check_job_done(g)
    vt.check_eq(g.wait_exit(), 0, "QEMU exit status (the guest powered off)")
    tp.stop()
    sw.stop()


vt.run(body, testpmd=True)
