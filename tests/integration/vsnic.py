# SPDX-License-Identifier: BSD-3-Clause
"""Helpers of the NIC-port integration tests (test_nic_*.py), on top of
vstest: the switch's ethdev ports (net_af_packet, net_tap) against the real
kernel network stack, in network namespaces.

Network safety: every kernel-side interface (veth, tap) lives in network
namespaces created here ("vsn<pid><tag>") and deleted at the end, on every
path: vsnic.run() cleans up in its finally, atexit and the SIGTERM/SIGINT/
SIGHUP handlers do it as a backstop, and the next run deletes what a run
killed outright (SIGKILL) left behind. The switch itself runs inside its own
namespace (ip netns exec), so its af_packet sockets and tap devices never
touch the host's namespace. Addresses are private (10.99.0.0/16) and used
only between these namespaces; IPv6 is disabled in them, so that the kernel
sends nothing the tests did not ask for (no router or neighbour
solicitations, no MLD) and frame counts stay exact.

- Netns: one namespace; commands in it; an interface's kernel counters.
- Topo: the usual pair: "sw" (the switch, one end of a veth pair) and
  "host" (a kernel stack with an address on the other end).
- NsSwitch: vstest.Switch started inside a namespace.
- IcmpEcho: dpdk-testpmd in icmpecho mode on a virtio-user port, a guest
  that answers ARP and ping for any address.
- ping(), send_raw(), kernel/switch counter comparisons.
"""

import atexit
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import traceback

import vstest as vt
from vstest import TestFailure, check, check_eq, log

GUEST_MAC = "02:00:00:00:00:99"   # the icmpecho guest
TESTPMD = "dpdk-testpmd"
# DPDK start-up (EAL, hugepages) can take long while other DPDK processes
# share this machine's two CPUs; nothing measures it.
START_TIMEOUT = 90
# A control command's reply; generous for the same reason. One still
# running after SLOW_CTL seconds gets the switch's stacks logged.
CTL_TIMEOUT = 90
SLOW_CTL = 10

# --------------------------------------------------------------------------
# Namespaces: registry, cleanup, stale sweep

_netns = []        # namespace names created by this process
NS_PATTERN = re.compile(r"^vsn(\d+)[a-z]")


def _ip(*args, check_rc=True, timeout=30):
    try:
        p = subprocess.run(["ip"] + list(args), capture_output=True,
                           text=True, timeout=timeout,
                           stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        raise TestFailure(f"ip {' '.join(args)}: no exit within {timeout}s")
    if check_rc and p.returncode != 0:
        raise TestFailure(f"ip {' '.join(args)}: exit {p.returncode}: "
                          f"{p.stderr.strip()}")
    return p.stdout


def _delete_netns(name):
    subprocess.run(["ip", "netns", "del", name], capture_output=True,
                   stdin=subprocess.DEVNULL, timeout=30)


def cleanup():
    """Kills every process (vstest's registry) first, so that nothing holds
    the namespaces' interfaces any more, then deletes the namespaces (their
    veth pairs and taps go with them). Safe to call more than once."""
    vt.cleanup()
    while _netns:
        name = _netns.pop()
        try:
            _delete_netns(name)
        except (OSError, subprocess.TimeoutExpired):
            pass


def _on_signal(sig, frame):
    cleanup()
    os._exit(128 + sig)


def sweep_stale_netns():
    """Deletes namespaces of this module's scheme whose test process is
    gone (a run killed with SIGKILL could not clean up)."""
    try:
        out = subprocess.run(["ip", "netns", "list"], capture_output=True,
                             text=True, timeout=30).stdout
    except (OSError, subprocess.TimeoutExpired):
        return
    for line in out.splitlines():
        name = line.split()[0] if line.split() else ""
        m = NS_PATTERN.match(name)
        if not m or int(m.group(1)) == os.getpid() or \
                vt.pid_alive(int(m.group(1))):
            continue
        # A process still in it: not ours to remove.
        pids = subprocess.run(["ip", "netns", "pids", name],
                              capture_output=True, text=True, timeout=30)
        if pids.returncode != 0 or pids.stdout.strip():
            continue
        log(f"removing stale namespace {name}")
        _delete_netns(name)


# Registered after vstest's own handlers: atexit runs this one first, and
# these signal handlers replace vstest's (which would skip the namespaces).
atexit.register(cleanup)
for _sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
    signal.signal(_sig, _on_signal)


def require_env():
    """Skips when the machine cannot run these tests."""
    vt.require_hugepages()
    for tool in ("ip", "ping", "stdbuf", TESTPMD):
        if shutil.which(tool) is None:
            raise vt.Skip(f"needs {tool} (iproute2, iputils-ping, dpdk)")
    probe = f"vsn{os.getpid()}probe"
    p = subprocess.run(["ip", "netns", "add", probe], capture_output=True,
                       text=True)
    if p.returncode != 0:
        raise vt.Skip(f"cannot create a network namespace: "
                      f"{p.stderr.strip()}")
    _delete_netns(probe)


def ifname(tag):
    """An interface name unique to this test process (at most 15
    characters: tag at most 6)."""
    name = f"v{os.getpid()}{tag}"
    assert len(name) <= 15, name
    return name


class Netns:
    """A network namespace of this test, with loopback up and IPv6 off."""

    def __init__(self, tag):
        self.name = f"vsn{os.getpid()}{tag}"
        _delete_netns(self.name)
        _ip("netns", "add", self.name)
        _netns.append(self.name)
        # "default" too: interfaces created here later get it.
        for conf in ("all", "default"):
            path = f"/proc/sys/net/ipv6/conf/{conf}/disable_ipv6"
            self.run(["sh", "-c", f"test ! -e {path} || echo 1 > {path}"])
        self.ip("link", "set", "lo", "up")

    def __repr__(self):
        return self.name

    def exec_args(self, args):
        return ["ip", "netns", "exec", self.name] + list(args)

    def run(self, args, timeout=60, check_rc=True):
        """Runs a command in the namespace to its end: CompletedProcess."""
        try:
            p = subprocess.run(self.exec_args(args), capture_output=True,
                               text=True, timeout=timeout,
                               stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            raise TestFailure(f"[{self.name}] {' '.join(args)}: no exit "
                              f"within {timeout}s")
        if check_rc and p.returncode != 0:
            raise TestFailure(f"[{self.name}] {' '.join(args)}: exit "
                              f"{p.returncode}: {p.stdout}{p.stderr}")
        return p

    def ip(self, *args, check_rc=True):
        return _ip("-n", self.name, *args, check_rc=check_rc)

    def link(self, dev):
        """ip -j -s link show DEV: the interface's record."""
        return json.loads(self.ip("-j", "-s", "link", "show", "dev", dev))[0]

    def has_link(self, dev):
        return dev in [ln["ifname"] for ln in
                       json.loads(self.ip("-j", "link", "show"))]

    def mac(self, dev):
        return self.link(dev)["address"]

    def stats(self, dev):
        """The kernel's counters of DEV (stats64)."""
        s = self.link(dev)["stats64"]
        return {"rx_packets": s["rx"]["packets"], "rx_bytes": s["rx"]["bytes"],
                "rx_dropped": s["rx"]["dropped"],
                "tx_packets": s["tx"]["packets"], "tx_bytes": s["tx"]["bytes"],
                "tx_dropped": s["tx"]["dropped"]}

    def neigh(self, addr, dev):
        """The neighbour entry of addr on dev: {"lladdr", "state"} or None."""
        rows = json.loads(self.ip("-j", "neigh", "show", "to", addr, "dev",
                                  dev) or "[]")
        return rows[0] if rows else None


def veth(ns_a, name_a, ns_b, name_b):
    """A veth pair: name_a in ns_a, name_b in ns_b, both up."""
    _ip("link", "add", name_a, "netns", ns_a.name, "type", "veth", "peer",
        "name", name_b, "netns", ns_b.name)
    ns_a.ip("link", "set", name_a, "up")
    ns_b.ip("link", "set", name_b, "up")


class Topo:
    """Namespace "sw" holds the switch and the veth end it attaches
    (sw_if); namespace "host" holds the other end (host_if) with
    host_ip/24. The guest answers for guest_ip on the same subnet."""

    def __init__(self, subnet):
        self.sw = Netns("s")
        self.host = Netns("h")
        self.sw_if = ifname("s")
        self.host_if = ifname("h")
        self.host_ip = f"10.99.{subnet}.1"
        self.guest_ip = f"10.99.{subnet}.2"
        veth(self.host, self.host_if, self.sw, self.sw_if)
        self.host.ip("addr", "add", f"{self.host_ip}/24", "dev", self.host_if)
        self.host_mac = self.host.mac(self.host_if)
        vt.wait_for(lambda: "LOWER_UP" in self.sw.link(self.sw_if)["flags"],
                    10, f"carrier on {self.sw_if}")

    def devargs(self, vdev="net_af_packet0"):
        return f"{vdev},iface={self.sw_if}"

    def kernel(self):
        """Both veth ends' kernel counters."""
        return {"host": self.host.stats(self.host_if),
                "sw": self.sw.stats(self.sw_if)}

    def ping_guest(self, count, **kw):
        """ping_all() from the host to the guest's address."""
        ping_all(self.host, self.host_if, self.guest_ip, count, **kw)

    def pin_guest_neigh(self, mac=GUEST_MAC):
        """After ARP resolved the guest once: a permanent entry, so the host
        sends no ARP probe later in a window whose counts are exact."""
        self.host.ip("neigh", "replace", self.guest_ip, "lladdr", mac, "dev",
                     self.host_if, "nud", "permanent")


def kernel_delta(before, after):
    return {side: {k: after[side][k] - before[side][k] for k in after[side]}
            for side in after}


# --------------------------------------------------------------------------
# The switch in a namespace, its control client

class NsSwitch(vt.Switch):
    """vstest.Switch run inside netns (ip netns exec keeps the PID, so the
    registry's kill reaches the switch itself)."""

    def __init__(self, binary, netns, ports, extra=(), tag="sw"):
        super().__init__(binary, ports, extra=extra, tag=tag)
        self.netns = netns

    def args(self):
        return self.netns.exec_args(super().args())

    def start(self, timeout=START_TIMEOUT):
        return super().start(timeout)

    def wait_state(self, names, state, timeout=START_TIMEOUT):
        return super().wait_state(names, state, timeout)


def backtraces(pid, timeout=60):
    """Every thread's stack of process pid (gdb), to show where a command
    that does not finish waits; a note when gdb is not there."""
    if shutil.which("gdb") is None:
        return "(no gdb for a backtrace)"
    try:
        p = subprocess.run(["gdb", "-p", str(pid), "-batch", "-nx", "-ex",
                            "thread apply all bt"], capture_output=True,
                           text=True, timeout=timeout,
                           stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        return "(gdb did not finish)"
    return "\n".join(ln for ln in p.stdout.splitlines()
                     if ln.startswith(("Thread ", "#")))


def kernel_stacks(pid):
    """Each thread of pid: name, wait channel, kernel stack (top)."""
    rows = []
    for tid in sorted(os.listdir(f"/proc/{pid}/task"), key=int):
        base = f"/proc/{pid}/task/{tid}"
        parts = []
        for f in ("comm", "wchan", "stack"):
            try:
                with open(f"{base}/{f}") as fh:
                    parts.append(fh.read().strip())
            except OSError as e:
                parts.append(f"({f}: {e.strerror})")
        stack = " <- ".join(ln.split("]", 1)[-1].strip()
                            for ln in parts[2].splitlines()[:6])
        rows.append(f"  {tid} {parts[0]}: wchan {parts[1] or '-'}; {stack}")
    return "\n".join(rows)


def stacks(sw):
    """The switch's threads, in the kernel and in user space."""
    if not sw.alive():
        return "(the switch is gone)"
    pid = sw.proc.pid
    try:
        kern = kernel_stacks(pid)
    except OSError as e:
        kern = f"(cannot read /proc/{pid}: {e})"
    return f"kernel:\n{kern}\nuser:\n{backtraces(pid)}"


class Ctl(vt.Ctl):
    """vhostswitch-ctl against one switch, with the NIC-port queries. A
    command the switch does not answer within CTL_TIMEOUT fails the test
    with the switch's threads' stacks and the end of its output; one still
    running after SLOW_CTL seconds gets them logged (nothing is asserted
    on the time it takes)."""

    def __init__(self, switch_bin, sw):
        super().__init__(vt.ctl_binary(switch_bin), vt.ctl_socket(sw))
        self.sw = sw

    def run(self, *words, json_out=False, timeout=CTL_TIMEOUT):
        shown = (["--json"] if json_out else []) + list(words)
        args = [self.binary, "-s", self.path, "-t", str(timeout)] + shown
        what = f"vhostswitch-ctl {' '.join(shown)}"
        t0 = time.monotonic()
        proc = subprocess.Popen(args, stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE)
        try:
            out, err = proc.communicate(timeout=SLOW_CTL)
        except subprocess.TimeoutExpired:
            # Still waiting: where the switch is now, while it is slow.
            log(f"note: {what} still running after {SLOW_CTL}s; the "
                f"switch meanwhile:\n{stacks(self.sw)}")
            try:
                out, err = proc.communicate(timeout=timeout + 30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.communicate()
                self._stuck(f"{what}: no exit within {timeout + 30}s")
        took = time.monotonic() - t0
        if took > SLOW_CTL:
            log(f"note: {what} took {took:.1f}s")
        r = vt.CtlResult(shown, proc.returncode, out.decode(errors="replace"),
                         err.decode(errors="replace"))
        if r.rc == 2:
            # No reply within the client's time limit.
            self._stuck(repr(r))
        return r

    def _stuck(self, what):
        raise TestFailure(f"{what}\n--- the switch's threads:\n"
                          f"{stacks(self.sw)}\n--- its output:\n"
                          f"{self.sw.output()[-3000:]}")

    def show(self, name):
        return self.json("port", "show", name)

    def port_names(self):
        return [p["name"] for p in self.json("port", "list")["ports"]]

    def add_eth(self, name, devargs):
        line = self.message("port", "add", "eth", name, "dev", devargs)
        check_eq(line, f"port {name} added: {devargs}",
                 f"port add eth {name} reply")
        return line

    def wait_link(self, name, up, timeout=30):
        """Waits until port show says state and link up (or both down);
        returns that port show."""
        want = "up" if up else "down"
        last = {}

        def ok():
            last["s"] = self.show(name)
            return last["s"]["state"] == want and last["s"]["link"] == want
        try:
            vt.wait_for(ok, timeout, f"port {name} state and link {want}",
                        interval=0.1)
        except TestFailure as e:
            raise TestFailure(f"{e}; last port show: {last.get('s')}")
        return last["s"]


# --------------------------------------------------------------------------
# The icmpecho guest

class IcmpEcho:
    """dpdk-testpmd with one virtio-user port on a switch port's socket,
    forwarding in icmpecho mode: it answers every ARP request and every
    ICMP echo request, whatever the address, and sends nothing else."""

    def __init__(self, sock, workdir, netns, mac=GUEST_MAC, tag="tp"):
        self.sock, self.dir, self.netns, self.mac, self.tag = \
            sock, workdir, netns, mac, tag
        self.proc = None

    def args(self):
        # Line-buffered: its "Press enter to exit" tells that it forwards.
        return self.netns.exec_args([
            "stdbuf", "-oL", TESTPMD, "-l", "0,1", "--main-lcore", "1",
            "--no-pci", "--single-file-segments", "--file-prefix", self.prefix,
            "--vdev", f"net_virtio_user0,path={self.sock},mac={self.mac}",
            "--", "--forward-mode=icmpecho", "--total-num-mbufs=4096"])

    def start(self, timeout=START_TIMEOUT):
        self.prefix = vt.new_prefix(self.tag)
        self.logpath = os.path.join(self.dir, f"{self.prefix}.log")
        self.logf = open(self.logpath, "w")
        log(f"icmpecho guest: {' '.join(self.args())}")
        # Non-interactive testpmd forwards until a line arrives on stdin.
        self.proc = vt.spawn(self.args(), stdin=subprocess.PIPE,
                             stdout=self.logf, stderr=subprocess.STDOUT)

        def ready():
            if self.proc.poll() is not None:
                raise TestFailure(f"testpmd exited with "
                                  f"{self.proc.returncode}:\n{self.output()}")
            return "Press enter to exit" in self.output()
        vt.wait_for(ready, timeout, "testpmd forwarding")
        return self

    def output(self):
        return vt.read_log(self.logpath)

    def stop(self, timeout=30):
        """Ends testpmd (a line on stdin); returns its forward statistics
        of port 0: {"rx": RX-packets, "tx": TX-packets}."""
        if self.proc is None or self.proc.poll() is not None:
            raise TestFailure(f"testpmd not running:\n{self.output()[-3000:]}")
        try:
            self.proc.stdin.write(b"\n")
            self.proc.stdin.flush()
            rc = self.proc.wait(timeout=timeout)
        except (OSError, subprocess.TimeoutExpired) as e:
            raise TestFailure(f"testpmd did not end ({e!r}):\n"
                              f"{self.output()[-3000:]}")
        vt.forget(self.proc)
        self.logf.close()
        out = self.output()
        check_eq(rc, 0, "testpmd exit status")
        m = re.search(r"Forward statistics for port 0.*?RX-packets:\s*(\d+)"
                      r".*?TX-packets:\s*(\d+)", out, re.S)
        if not m:
            raise TestFailure(f"no forward statistics in testpmd's output:\n"
                              f"{out[-3000:]}")
        return {"rx": int(m.group(1)), "tx": int(m.group(2))}


# --------------------------------------------------------------------------
# Traffic from the kernel side

PING_SUMMARY = re.compile(r"(\d+) packets transmitted, (\d+) received")


def ping(ns, addr, count, interval=0.05, size=None):
    """ping -c count -w DEADLINE from ns; returns (transmitted, received).
    With a deadline, ping ends once count replies are in, however late
    they come (until the deadline), and sends further requests while it
    waits for late ones: transmitted may exceed count without any loss."""
    deadline = int(30 + count * interval * 4)
    args = ["ping", "-n", "-q", "-c", str(count), "-i", str(interval),
            "-w", str(deadline)]
    if size is not None:
        args += ["-s", str(size), "-M", "do"]
    p = ns.run(args + [addr], check_rc=False, timeout=deadline + 30)
    m = PING_SUMMARY.search(p.stdout)
    if not m:
        raise TestFailure(f"ping {addr}: no summary (exit {p.returncode}): "
                          f"{p.stdout}{p.stderr}")
    tx, rx = int(m.group(1)), int(m.group(2))
    log(f"[{ns}] ping -c {count} {'-s %d ' % size if size else ''}{addr}: "
        f"{tx} transmitted, {rx} received")
    return tx, rx


def ping_all(ns, dev, addr, count, **kw):
    """count pings from ns (out of its interface dev) get count replies
    (ping's summary; more when ping had to send more requests while it
    waited for late replies), and every frame dev sent meanwhile was
    answered: the kernel counts as many frames received as sent (ARP
    requests and echo requests; the guest answers each with one frame,
    and nothing else may use dev meanwhile). So a request ping sent while
    it waited for a late reply must be answered too: no loss hides."""
    before = ns.stats(dev)
    tx, rx = ping(ns, addr, count, **kw)
    # Replies that come in one burst are all counted before ping looks at
    # the count again: more than count is no error.
    check(rx >= count, f"ping {addr} from {ns}: {rx} replies received, "
          f"expected {count}")
    if tx != count:
        log(f"ping sent {tx - count} more request(s) while waiting for a "
            f"late reply; they must be answered all the same")

    def compare():
        now = ns.stats(dev)
        sent = now["tx_packets"] - before["tx_packets"]
        got = now["rx_packets"] - before["rx_packets"]
        bad = {}
        if got != sent:
            bad[f"{dev}: frames received"] = (sent, got)
        if sent < tx:
            bad[f"{dev}: frames sent (at least the requests)"] = (tx, sent)
        return bad
    wait_consistent(compare, 20, f"frames {ns}'s {dev} sent during the "
                    f"pings, each answered")


RAW_SENDER = r"""
import json, socket, sys
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((sys.argv[1], 0))
frame = bytes.fromhex(sys.argv[2])
res = []
for _ in range(int(sys.argv[3])):
    try:
        res.append(s.send(frame))
    except OSError as e:
        res.append(-e.errno)
print(json.dumps(res))
"""


def send_raw(ns, dev, frame, count=1):
    """Sends frame (bytes, no FCS) count times on dev in ns through a raw
    AF_PACKET socket. Returns the list of send() results: bytes sent, or
    -errno where the kernel refused."""
    p = ns.run([sys.executable, "-c", RAW_SENDER, dev, frame.hex(),
                str(count)])
    return json.loads(p.stdout)


def mac_bytes(mac):
    return bytes.fromhex(mac.replace(":", ""))


def raw_frame(dst, src, length, ethertype=0x88B5):
    """A frame of length bytes (header included, no FCS)."""
    hdr = mac_bytes(dst) + mac_bytes(src) + ethertype.to_bytes(2, "big")
    body = bytes((i * 7) & 0xFF for i in range(max(length - len(hdr), 0)))
    return (hdr + body)[:length]


# --------------------------------------------------------------------------
# Counters: the switch's against the kernel's

def wait_consistent(compare, timeout, what):
    """compare() returns {name: (expected, got)} of what does not match
    yet. Waits until nothing mismatches, twice, a settle apart (so late or
    extra frames count); fails with the last mismatches."""
    deadline = time.monotonic() + timeout
    bad = compare()
    while True:
        if not bad:
            vt.settle()
            bad = compare()
            if not bad:
                return
        if time.monotonic() >= deadline:
            lines = [f"  {k}: expected {e!r}, got {g!r}"
                     for k, (e, g) in sorted(bad.items())]
            raise TestFailure(f"{what}:\n" + "\n".join(lines))
        time.sleep(0.1)
        bad = compare()


def check_against_kernel(sw, topo, eth, guest, sw_before, k_before,
                         timeout=20):
    """The switch moved exactly what the kernel put on the wire: eth port
    rx = frames the host's veth end sent (= what the switch's end
    received), eth tx = what the host's end received, the guest's port
    mirrors the eth port, no drop anywhere, no other counter moved.
    Returns (switch delta, kernel delta)."""
    result = {}

    def compare():
        d = sw.delta(sw_before)
        k = kernel_delta(k_before, topo.kernel())
        result["d"], result["k"] = d, k
        want = {
            f"{eth}.rx_packets": k["host"]["tx_packets"],
            f"{eth}.rx_bytes": k["host"]["tx_bytes"],
            f"{eth}.tx_packets": k["host"]["rx_packets"],
            f"{eth}.tx_bytes": k["host"]["rx_bytes"],
            f"{guest}.tx_packets": k["host"]["tx_packets"],
            f"{guest}.tx_bytes": k["host"]["tx_bytes"],
            f"{guest}.rx_packets": k["host"]["rx_packets"],
            f"{guest}.rx_bytes": k["host"]["rx_bytes"],
            # The switch's own end of the pair saw the same frames.
            "kernel sw_if.rx_packets": k["host"]["tx_packets"],
            "kernel sw_if.tx_packets": k["host"]["rx_packets"],
            "kernel host_if.tx_dropped": 0,
            "kernel host_if.rx_dropped": 0,
        }
        got = {
            "kernel sw_if.rx_packets": k["sw"]["rx_packets"],
            "kernel sw_if.tx_packets": k["sw"]["tx_packets"],
            "kernel host_if.tx_dropped": k["host"]["tx_dropped"],
            "kernel host_if.rx_dropped": k["host"]["rx_dropped"],
        }
        for n, counters in d.items():
            for c, v in counters.items():
                key = f"{n}.{c}"
                got[key] = v
                want.setdefault(key, 0)
        return {key: (want[key], got.get(key)) for key in want
                if got.get(key) != want[key]}

    wait_consistent(compare, timeout, "switch counters against the kernel's")
    d, k = result["d"], result["k"]
    log(f"kernel: host end sent {k['host']['tx_packets']} frames "
        f"({k['host']['tx_bytes']} B), received {k['host']['rx_packets']} "
        f"({k['host']['rx_bytes']} B); switch {eth}: rx "
        f"{d[eth]['rx_packets']}, tx {d[eth]['tx_packets']}; {guest}: rx "
        f"{d[guest]['rx_packets']}, tx {d[guest]['tx_packets']}")
    return d, k


def _show_switch_output():
    sw = vt.current_switch
    if sw is not None:
        log(f"the switch's output (end):\n{sw.output()[-4000:]}")


def run(body):
    """vstest.run() with the namespaces in the cleanup: runs
    body(switch_bin, guest_bin) and exits 0, 77 (skip) or 1."""
    status = 1
    try:
        sw, tg = vt.binaries()
        for b in (sw, tg):
            if not os.access(b, os.X_OK):
                raise SystemExit(f"not executable: {b}")
        require_env()
        sweep_stale_netns()
        body(sw, tg)
        status = 0
        log("PASS")
    except vt.Skip as e:
        log(f"SKIP: {e}")
        status = vt.SKIP
    except TestFailure as e:
        log(f"FAIL: {e}")
        traceback.print_exc()
        _show_switch_output()
    except Exception:
        log("ERROR")
        traceback.print_exc()
        _show_switch_output()
    finally:
        cleanup()
        left = [n for n in _ip("netns", "list", check_rc=False).split()
                if n.startswith(f"vsn{os.getpid()}")]
        if left:
            log(f"namespaces left behind: {left}")
            status = 1
    sys.exit(status)
