#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""offload_nic: two QEMU guests send 1 MiB each over TCP to a kernel stack
behind the switch's af_packet port, a NIC without checksum or segmentation
offloads; guest 1 sends another 1 MiB to a kernel stack behind a net_tap
port, a NIC that has both (done by its driver).

Guest 1's port offers offloads (the default): its Linux kernel hands the
switch large TSO frames with partial checksums, which the switch must cut
and checksum in software before they reach the af_packet port. Guest 2's
port has "offload off": it negotiates neither, and sends full frames.

The kernel side is a veth pair between two network namespaces this test
creates and removes: the switch runs in one ("s", holding one end, under
the af_packet port), a receiver in the other ("k", 10.98.0.200/24, MTU
1400, so the guests' segments fit the port). Receive checksumming is off
on the receiving veth, so the kernel's TCP verifies every checksum itself,
and transmit offloads are off, so the kernel's own frames are whole. The
tap's kernel side (10.98.0.201/24) is in the switch's namespace, where it
is created; a tap verifies checksums too. Its kernel MTU is 1400 as well:
net_tap (DPDK 22.11) refuses a TSO frame whose segments, Ethernet header
included, exceed its own MTU of 1500, which a guest's 1448-byte segments
with timestamps (1514 bytes) would.

Last, guest 1 opens TCP connections to an address whose MAC (a static
ARP entry) nobody has: the switch floods those SYNs, with their partial
checksums, to every port at once, one mbuf shared by all. The veth's
kernel end is promiscuous and a capture there checks every SYN's checksum
(the kernel's IP layer ignores frames for another MAC).

Checks: the three files arrive whole (size and SHA-256 as the guests
computed them); the kernels counted no checksum error; the af_packet port
counts tx_sw_gso and tx_sw_csum above zero, the tap port none (its device
did the work: tx_offloads csum,tso4), no port a gso_failed, bad_offload,
tx_refused or mtu_exceeded drop; every flooded SYN the capture saw has a
valid checksum, and port g2 (offload off) counts tx_sw_csum for the copies it needed;
the mbufs in use are back where they were before the
guests came (segments, copies and chains all freed); port show says what each vhost port offered and what
its guest took (offload on: csum,tso4; off: none)."""

import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vmtest as vt  # noqa: E402

KIB = 1024
KERNEL_IP = f"{vt.SUBNET}.200"
TAP_IP = f"{vt.SUBNET}.201"
NOBODY_IP = f"{vt.SUBNET}.250"
NOBODY_MAC = "02:00:00:00:00:fa"
FLOOD_PORT = 7000
FLOOD_SYNS = 4   # the capture stops after this many
PID = os.getpid()
# Names of the scheme tests/integration/vsnic.py sweeps when a run is killed.
NS_SW = f"vsn{PID}s"
NS_K = f"vsn{PID}k"
IF_SW = f"v{PID}s"
IF_K = f"v{PID}k"
TAP = f"t{PID}s"
# virtio-net feature bits (linux/virtio_net.h).
F_CSUM, F_GUEST_CSUM, F_GUEST_TSO4, F_HOST_TSO4 = 0, 1, 7, 11
F_TSO6 = (8, 12)  # GUEST_TSO6, HOST_TSO6: never offered

RECEIVER = r"""
import hashlib, socket, sys
srv = []
for port in map(int, sys.argv[2:]):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((sys.argv[1], port))
    s.listen(1)
    srv.append((port, s))
for port, s in srv:
    c, _ = s.accept()
    h, n = hashlib.sha256(), 0
    while True:
        b = c.recv(65536)
        if not b:
            break
        h.update(b)
        n += len(b)
    c.close()
    print(f"port={port} bytes={n} sha256={h.hexdigest()}", flush=True)
"""


# Captures TCP SYNs to FLOOD_PORT on an interface (promiscuous) and checks
# each one's checksum; stops after argv[2] of them, or after argv[3] s.
CAPTURE = r"""
import socket, struct, sys, time
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0800))
s.bind((sys.argv[1], 0))
s.settimeout(1)
want, end = int(sys.argv[2]), time.time() + float(sys.argv[3])
port = int(sys.argv[4])
syn = good = 0
def fold(x):
    while x >> 16:
        x = (x & 0xffff) + (x >> 16)
    return x
print("ready", flush=True)
while syn < want and time.time() < end:
    try:
        f = s.recv(65536)
    except socket.timeout:
        continue
    if len(f) < 54 or f[12:14] != b"\x08\x00" or f[23] != 6:
        continue
    ihl = (f[14] & 15) * 4
    tot = struct.unpack("!H", f[16:18])[0]
    t = f[14 + ihl:14 + tot]
    if len(t) < 20 or struct.unpack("!H", t[2:4])[0] != port or \
            not t[13] & 2:
        continue
    syn += 1
    d = f[26:34] + struct.pack("!BBH", 0, 6, len(t)) + t
    if len(d) & 1:
        d += b"\0"
    if fold(sum(struct.unpack("!%dH" % (len(d) // 2), d))) == 0xffff:
        good += 1
print(f"syn={syn} good={good}", flush=True)
"""


def job(port, tap=False):
    j = f"""
vs_wait_peer {KERNEL_IP} 180 || exit 1
vs_mkfile /tmp/file {KIB}
vs_send {KERNEL_IP} {port} /tmp/file 120
"""
    if not tap:
        # Attached until the flood is over: a port without a guest gets none.
        j += "vs_hold done\n"
    if tap:
        j += f"""vs_wait_peer {TAP_IP} 60 || exit 1
vs_send {TAP_IP} 5003 /tmp/file 120
arp -s {NOBODY_IP} {NOBODY_MAC}
for i in 1 2 3; do nc -w 2 {NOBODY_IP} {FLOOD_PORT} </dev/null; done
vs_mark flooded
"""
    return j


def sh(args, timeout=30):
    p = subprocess.run(args, capture_output=True, text=True, timeout=timeout,
                       stdin=subprocess.DEVNULL)
    if p.returncode != 0:
        raise vt.TestFailure(f"{' '.join(args)}: exit {p.returncode}: "
                             f"{p.stdout}{p.stderr}")
    return p.stdout


def in_ns(ns, *args):
    return sh(["ip", "netns", "exec", ns] + list(args))


def remove_namespaces():
    for ns in (NS_SW, NS_K):
        subprocess.run(["ip", "netns", "del", ns], capture_output=True,
                       stdin=subprocess.DEVNULL, timeout=30)


def make_namespaces():
    """The veth pair between the switch's namespace and the kernel's."""
    remove_namespaces()
    vt.at_cleanup(remove_namespaces)
    for ns in (NS_SW, NS_K):
        sh(["ip", "netns", "add", ns])
        # Nothing but what the test sends: no IPv6 chatter.
        in_ns(ns, "sh", "-c", "for c in all default; do echo 1 > "
              "/proc/sys/net/ipv6/conf/$c/disable_ipv6; done")
        sh(["ip", "-n", ns, "link", "set", "lo", "up"])
    sh(["ip", "link", "add", IF_SW, "netns", NS_SW, "type", "veth", "peer",
        "name", IF_K, "netns", NS_K])
    sh(["ip", "-n", NS_K, "link", "set", IF_K, "mtu", "1400"])
    sh(["ip", "-n", NS_K, "addr", "add", f"{KERNEL_IP}/24", "dev", IF_K])
    # The kernel checks every checksum itself, and sends whole frames.
    in_ns(NS_K, "ethtool", "-K", IF_K, "rx", "off", "tx", "off", "tso",
          "off", "gso", "off")
    sh(["ip", "-n", NS_SW, "link", "set", IF_SW, "up"])
    sh(["ip", "-n", NS_K, "link", "set", IF_K, "up"])


def tcp_csum_errors(ns):
    """A kernel's count of TCP segments with a bad checksum."""
    lines = [ln.split() for ln in in_ns(ns, "cat", "/proc/net/snmp")
             .splitlines() if ln.startswith("Tcp:")]
    return int(dict(zip(lines[0], lines[1]))["InCsumErrors"])


def features(p):
    return int(p["features"], 16)


def body(env, image, d):
    for tool in ("ip", "ethtool"):
        if subprocess.run(["which", tool], capture_output=True).returncode:
            raise vt.Skip(f"needs {tool}")
    make_namespaces()
    run_test(env, image, d)


def run_test(env, image, d):
    eth = [f"port add eth e0 dev net_af_packet0,iface={IF_SW}",
           f"port add eth t0 dev net_tap0,iface={TAP}"]
    sw = vt.Switch(env, d, [("g1", os.path.join(d, "g1.sock"), ""),
                            ("g2", os.path.join(d, "g2.sock"),
                             "offload off")],
                   more_config=eth, netns=NS_SW).start()
    sh(["ip", "-n", NS_SW, "addr", "add", f"{TAP_IP}/24", "dev", TAP])
    sh(["ip", "-n", NS_SW, "link", "set", TAP, "mtu", "1400", "up"])
    receivers = []
    for ns, ip, ports in ((NS_K, KERNEL_IP, ("5001", "5002")),
                          (NS_SW, TAP_IP, ("5003",))):
        out = os.path.join(d, f"receiver-{ip}.out")
        with open(out, "w") as f:
            receivers.append((out, vt.spawn(
                ["ip", "netns", "exec", ns, sys.executable, "-c", RECEIVER,
                 ip] + list(ports), stdout=f, stderr=subprocess.STDOUT)))
    sh(["ip", "-n", NS_K, "link", "set", IF_K, "promisc", "on"])
    cap_out = os.path.join(d, "capture.out")
    with open(cap_out, "w") as f:
        cap = vt.spawn(["ip", "netns", "exec", NS_K, sys.executable, "-c",
                        CAPTURE, IF_K, str(FLOOD_SYNS), "400",
                        str(FLOOD_PORT)], stdout=f, stderr=subprocess.STDOUT)
    vt.wait_for(lambda: "ready" in open(cap_out).read(), 30,
                "the SYN capture to start")
    errors_before = {ns: tcp_csum_errors(ns) for ns in (NS_K, NS_SW)}
    mbufs_before = sw.ctl("stats")["mbufs_in_use"]

    g1 = vt.Qemu(env, image, d, "guest-1", os.path.join(d, "g1.sock"), 1,
                 job(5001, tap=True))
    g2 = vt.Qemu(env, image, d, "guest-2", os.path.join(d, "g2.sock"), 2,
                 job(5002))
    g1.start()
    g2.start()
    for g in (g1, g2):
        g.boot_time()
    made = {g.name: g.wait_marker("file") for g in (g1, g2)}
    for g, n in ((g1, 2), (g2, 1)):
        for i in range(1, n + 1):
            sent = g.wait_marker("sent", n=i)
            vt.check_eq(sent.get("rc"), "0",
                        f"{g.name}'s nc exit status (file {i})")
    got = {}
    for out, recv in receivers:
        try:
            recv.wait(timeout=120)
        except subprocess.TimeoutExpired:
            raise vt.TestFailure(f"a kernel-side receiver ({out}) did not "
                                 "get its files")
        vt.forget(recv)
        with open(out) as f:
            text = f.read()
        vt.log(f"kernel side received ({out}):\n{text}")
        for line in text.splitlines():
            kv = dict(w.split("=", 1) for w in line.split() if "=" in w)
            if "port" in kv:
                got[kv["port"]] = kv
    for g, port in ((g1, "5001"), (g2, "5002"), (g1, "5003")):
        vt.check_eq(got.get(port, {}).get("bytes"), str(KIB * 1024),
                    f"bytes the kernel received from {g.name}")
        vt.check_eq(got.get(port, {}).get("sha256"),
                    made[g.name].get("sha256"),
                    f"SHA-256 at the kernel vs at {g.name}")
    for ns in (NS_K, NS_SW):
        vt.check_eq(tcp_csum_errors(ns) - errors_before[ns], 0,
                    f"TCP segments with a bad checksum at the kernel ({ns})")

    g1.wait_marker("flooded")
    g2.wait_marker("hold")
    try:
        cap.wait(timeout=60)
    except subprocess.TimeoutExpired:
        raise vt.TestFailure(f"the capture saw fewer than {FLOOD_SYNS} "
                             f"flooded SYNs: {open(cap_out).read()}")
    vt.forget(cap)
    res = dict(w.split("=", 1) for w in open(cap_out).read().split()
               if "=" in w)
    vt.log(f"flooded SYNs at the kernel's veth: {res}")
    vt.check_eq((res.get("syn"), res.get("good")),
                (str(FLOOD_SYNS), str(FLOOD_SYNS)),
                "flooded SYNs captured, with a valid checksum")

    p1, p2, e0, t0 = (sw.port(n) for n in ("g1", "g2", "e0", "t0"))
    vt.log(f"t0: tx {t0['tx_packets']} pkts, tx_sw_gso {t0['tx_sw_gso']}, "
           f"tx_sw_csum {t0['tx_sw_csum']}, drops {t0['drops']}")
    vt.log(f"e0: tx {e0['tx_packets']} pkts, tx_sw_gso {e0['tx_sw_gso']}, "
           f"tx_sw_csum {e0['tx_sw_csum']}, drops {e0['drops']}; "
           f"g1 features {p1['features']}, g2 features {p2['features']}")
    vt.check_eq((p1["offload"], p1["tx_offloads"]), ("on", "csum,tso4"),
                "g1: offload, what its guest takes")
    f1 = features(p1)
    vt.check(f1 >> F_CSUM & 1 and f1 >> F_HOST_TSO4 & 1 and
             f1 >> F_GUEST_CSUM & 1 and f1 >> F_GUEST_TSO4 & 1,
             f"g1 negotiated CSUM, HOST_TSO4, GUEST_CSUM, GUEST_TSO4 "
             f"(features {p1['features']})")
    vt.check(not any(f1 >> b & 1 for b in F_TSO6),
             f"g1: no TSO6 (features {p1['features']})")
    vt.check_eq((p2["offload"], p2["tx_offloads"]), ("off", "none"),
                "g2: offload, what its guest takes")
    vt.check(p2["tx_sw_csum"] > 0, f"g2: checksums done in software for "
             f"the flooded SYNs (tx_sw_csum {p2['tx_sw_csum']})")
    f2 = features(p2)
    vt.check(not any(f2 >> b & 1 for b in (F_CSUM, F_GUEST_CSUM,
                                           F_GUEST_TSO4, F_HOST_TSO4)),
             f"g2 negotiated no offload (features {p2['features']})")
    vt.check_eq((e0["offload"], e0["tx_offloads"]), ("on", "none"),
                "e0 (af_packet): offload, what the device does")
    vt.check(e0["tx_sw_gso"] > 0, f"e0: frames segmented in software "
             f"(tx_sw_gso {e0['tx_sw_gso']})")
    vt.check(e0["tx_sw_csum"] > 0, f"e0: checksums done in software "
             f"(tx_sw_csum {e0['tx_sw_csum']})")
    vt.check_eq((t0["offload"], t0["tx_offloads"]), ("on", "csum,tso4"),
                "t0 (tap): offload, what the device does")
    vt.check_eq((t0["tx_sw_gso"], t0["tx_sw_csum"], t0["drops"]["tx_errors"]),
                (0, 0, 0), "t0: work done in software (none: its device does "
                "it), frames the device failed to send")
    for reason in ("gso_failed", "bad_offload", "tx_refused", "mtu_exceeded"):
        for name, p in (("e0", e0), ("t0", t0), ("g1", p1), ("g2", p2)):
            vt.check_eq(p["drops"][reason], 0, f"{name}: drops {reason}")
    g2.release("done")
    for g in (g1, g2):
        vt.check_job_done(g)
        vt.check_eq(g.wait_exit(), 0, f"{g.name}: QEMU exit status")
    last = {}

    def mbufs_back():
        last["n"] = sw.ctl("stats")["mbufs_in_use"]
        return last["n"] == mbufs_before
    try:
        vt.wait_for(mbufs_back, 30, "mbufs in use back to their number "
                    f"before the guests ({mbufs_before})", interval=0.5)
    except vt.TestFailure as e:
        raise vt.TestFailure(f"{e}: {last.get('n')} in use")
    sw.stop()


vt.run(body)
