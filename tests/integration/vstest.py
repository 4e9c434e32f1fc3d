# SPDX-License-Identifier: BSD-3-Clause
"""Shared helpers of the integration tests: run the real vhostswitch binary
and vs-testguest processes (DPDK virtio-user frontends), read the switch's
DPDK telemetry, wait for conditions, and always clean up.

Every test script is run as
    python3 test_X.py PATH/TO/vhostswitch PATH/TO/vs-testguest
(or with VS_SWITCH / VS_TESTGUEST in the environment) and exits 0 on
success, 77 when the machine cannot run it (meson's skip code), 1 on
failure.

Cleanup: each process, socket directory and DPDK file prefix a test creates
is recorded by tests/common/vsproc.py (names "vsit<pid>..."); its cleanup()
kills what still runs, removes the hugepage files of those prefixes (a
killed DPDK process leaves them behind) and their /var/run/dpdk
directories. Tests call it from try/finally through run(); atexit and
SIGTERM/SIGINT/SIGHUP handlers call it as a backstop.
"""

import glob
import json
import os
import re
import select
import signal
import socket
import subprocess
import sys
import time
import traceback

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "common"))
from vsproc import (DPDK_RUN_DIR, HUGEPAGE_DIR, SKIP,  # noqa: E402,F401
                    Skip, TestFailure, check, check_eq, cleanup, forget,
                    log, new_dir, new_prefix, pid_alive, read_log,
                    remove_prefix_files, require_hugepages, spawn, wait_for)
import vsproc  # noqa: E402

vsproc.init("vsit")

# Rates are modest and rings big on purpose: the machine has two cores,
# the switch's worker owns one and every guest shares the other (with
# whatever else runs there), so a guest can be off the CPU for
# milliseconds; its 4096-entry rx ring absorbs 40 ms at 100 kpps.
DEFAULT_PPS = 100000
QUEUE_SIZE = 4096

DROP_REASONS = ("runt", "bad_src_mac", "same_port", "no_destination",
                "no_mbuf", "not_ready", "tx_full")
DROP_KEYS = tuple("drop_" + r for r in DROP_REASONS)
COUNTER_KEYS = ("rx_packets", "rx_bytes", "tx_packets", "tx_bytes") + \
    DROP_KEYS + ("connects", "disconnects")


# --------------------------------------------------------------------------
# Arguments, waiting, assertions

def binaries():
    sw = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("VS_SWITCH")
    tg = sys.argv[2] if len(sys.argv) > 2 else os.environ.get("VS_TESTGUEST")
    if not sw or not tg:
        raise SystemExit("usage: test_X.py VHOSTSWITCH VS_TESTGUEST")
    return os.path.abspath(sw), os.path.abspath(tg)










def check_dict(got, expected, what):
    """Compares the keys of expected in got; reports every mismatch."""
    bad = {k: (v, got.get(k)) for k, v in expected.items() if got.get(k) != v}
    if bad:
        lines = [f"  {k}: expected {e!r}, got {g!r}" for k, (e, g) in
                 sorted(bad.items())]
        raise TestFailure(f"{what}:\n" + "\n".join(lines) +
                          f"\n  (all: {json.dumps(got, sort_keys=True)})")


# --------------------------------------------------------------------------
# DPDK telemetry

class Telemetry:
    """A client of DPDK's telemetry socket (one connection per query, as
    dpdk-telemetry.py does)."""

    def __init__(self, prefix):
        self.path = os.path.join(DPDK_RUN_DIR, prefix, "dpdk_telemetry.v2")

    # Generous: this shared machine can lose a CPU for seconds at a time,
    # and a slow reply only costs when something is wrong.
    def query(self, cmd, timeout=15.0):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        s.settimeout(timeout)
        try:
            s.connect(self.path)
            greeting = json.loads(s.recv(4096).decode())
            size = int(greeting.get("max_output_len", 16384))
            s.send(cmd.encode())
            reply = json.loads(s.recv(size + 1024).decode())
        finally:
            s.close()
        key = cmd.split(",", 1)[0]
        # null: the command is unknown, or not registered yet while the
        # switch starts (the socket opens during EAL start-up).
        if not isinstance(reply, dict) or reply.get(key) is None:
            raise ValueError(f"telemetry {cmd}: unexpected reply {reply!r}")
        return reply[key]


# --------------------------------------------------------------------------
# The switch

class Switch:
    def __init__(self, binary, ports=("a", "b", "c"), workdir=None,
                 extra=(), tag="sw"):
        self.binary = binary
        self.dir = workdir or new_dir()
        self.names = list(ports)
        self.sockets = {n: os.path.join(self.dir, n + ".sock") for n in ports}
        self.prefix = new_prefix(tag)
        self.extra = list(extra)
        self.tel = Telemetry(self.prefix)
        self.proc = None
        self.logpath = os.path.join(self.dir, f"{self.prefix}.log")
        self.returncode = None
        global current_switch
        current_switch = self

    def args(self):
        a = [self.binary, "-l", "0,1", "--main-lcore", "0", "--no-pci",
             "--file-prefix", self.prefix, "--"]
        for n in self.names:
            a += ["--vhost", f"{n}={self.sockets[n]}"]
        return a + ["--stats-interval", "0", "--ctl-socket",
                    os.path.join(self.dir, "ctl.sock")] + self.extra

    def start(self, timeout=30):
        self.logf = open(self.logpath, "w")
        log("switch: " + " ".join(self.args()))
        self.proc = spawn(self.args(), stdin=subprocess.DEVNULL,
                          stdout=self.logf, stderr=subprocess.STDOUT)

        def ready():
            if self.proc.poll() is not None:
                raise TestFailure(f"switch exited with {self.proc.returncode}"
                                  f" during start-up:\n{self.output()}")
            # Counted, not looked up by name: test_telemetry checks names.
            return (self.info().get("ports") == len(self.names) and
                    all(os.path.exists(p) for p in self.sockets.values()))
        try:
            wait_for(ready, timeout, "the switch's telemetry and sockets")
        except TestFailure:
            log("switch output:\n" + self.output())
            raise
        return self

    def output(self):
        return read_log(self.logpath)

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def info(self):
        return self.tel.query("/vhostswitch/info")

    def port_names(self):
        return self.tel.query("/vhostswitch/ports")

    def ports(self):
        """Port name -> its counters: /vhostswitch/ports lists the names,
        /vhostswitch/port,NAME has each port's counters."""
        return {n: self.port(n) for n in self.port_names()}

    def port(self, name):
        return self.tel.query("/vhostswitch/port," + name)

    def fdb(self):
        return self.tel.query("/vhostswitch/fdb")

    def wait_state(self, names, state, timeout=15):
        wait_for(lambda: all(self.port(n)["state"] == state for n in names),
                 timeout, f"switch ports {names} {state}")

    def wait_detached(self, name, before, timeout=15):
        """Waits until port name is down and its disconnect (counted after
        the workers let go of the device) is in, relative to before."""
        wait_for(lambda: self.port(name)["state"] == "down" and
                 self.delta(before)[name]["disconnects"] >= 1, timeout,
                 f"switch port {name} down and its disconnect counted")

    def wait_attached(self, name, before, timeout=15):
        """Waits until port name is up again and its connect is in,
        relative to before."""
        wait_for(lambda: self.port(name)["state"] == "up" and
                 self.delta(before)[name]["connects"] >= 1, timeout,
                 f"switch port {name} up again and its connect counted")

    def kill_guest(self, guest, name, before):
        """SIGKILLs guest, whose port is name: the switch detaches the
        port, lives on, and counted one disconnect and no connect on it
        since before."""
        guest.kill9()
        self.wait_detached(name, before)
        check(self.alive(), "switch died after the guest was killed")
        check_dict(self.delta(before)[name], {"disconnects": 1, "connects": 0},
                   f"port {name} events after the kill")

    def snapshot(self):
        """Every port's counters, to subtract from a later snapshot."""
        # Drop reasons the switch adds later are picked up by name.
        return {n: {k: v for k, v in p.items()
                    if k in COUNTER_KEYS or k.startswith("drop_")}
                for n, p in self.ports().items()}

    def delta(self, before):
        now = self.snapshot()
        return {n: {k: now[n][k] - before[n].get(k, 0) for k in now[n]}
                for n in now}

    def wait_no_mbufs_in_use(self, timeout=5):
        """In-flight bursts settle within microseconds; once traffic has
        stopped, the pool must be full again."""
        last = {}

        def idle():
            last["info"] = self.info()
            return last["info"]["mbufs_in_use"] == 0
        try:
            wait_for(idle, timeout, "mbufs_in_use == 0")
        except TestFailure:
            raise TestFailure(f"mbuf leak: {last.get('info')}")
        check_eq(self.info()["mbufs_in_use"], 0, "mbufs_in_use")

    def stop(self, sig=signal.SIGTERM, timeout=20):
        """Signals the switch and returns (exit status, output)."""
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            self.returncode = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            forget(self.proc)
            raise TestFailure(f"switch did not exit within {timeout}s of "
                              f"signal {sig}:\n{self.output()}")
        forget(self.proc)
        self.logf.close()
        return self.returncode, self.output()


# --------------------------------------------------------------------------
# The test guest

class GuestPort:
    """One guest port: which process and index, its MAC, its switch port."""

    def __init__(self, guest, index, mac, name):
        self.guest, self.index, self.mac, self.name = guest, index, mac, name

    def __repr__(self):
        return f"{self.name}({self.mac})"

    def stats(self):
        return self.guest.stats()[self.index]

    def send(self, dst, count, **kw):
        return self.guest.send(self.index, dst, count, **kw)

    def stream_start(self, dst, pps, **kw):
        return self.guest.stream_start(self.index, dst, pps, **kw)


def mac_of(n):
    return f"02:00:00:00:00:{n:02x}"


class Guest:
    """A vs-testguest process holding one virtio-user port per entry of
    ports: a list of (switch port name, socket path, MAC). packed: its
    ports use packed virtqueues (virtio 1.1, virtio-user's packed_vq=1)
    instead of split ones."""

    def __init__(self, binary, ports, workdir, tag="g", queue_size=QUEUE_SIZE,
                 queues=1, packed=False):
        self.binary = binary
        self.queues = queues
        self.packed = packed
        self.spec = list(ports)
        self.dir = workdir
        self.tag = tag
        self.queue_size = queue_size
        self.proc = None
        self.buf = b""
        self.ports = [GuestPort(self, i, mac, name)
                      for i, (name, _, mac) in enumerate(self.spec)]

    def args(self):
        a = [self.binary, "-l", "0", "--no-pci", "--in-memory",
             "--single-file-segments", "--no-telemetry", "--file-prefix",
             self.prefix, "--log-level", "*:notice"]
        for i, (_, path, mac) in enumerate(self.spec):
            a += ["--vdev", f"net_virtio_user{i},path={path},mac={mac},"
                  f"queue_size={self.queue_size}"
                  + (f",queues={self.queues}" if self.queues > 1 else "")
                  + (",packed_vq=1" if self.packed else "")]
        # Per queue pair: a full rx ring, a full tx ring and a burst.
        mbufs = len(self.spec) * self.queues * (2 * self.queue_size + 1024) \
            + 1023
        return a + ["--", "--mbufs", str(mbufs)]

    def start(self, timeout=30):
        self.prefix = new_prefix(self.tag)
        self.logpath = os.path.join(self.dir, f"{self.prefix}.log")
        self.logf = open(self.logpath, "w")
        self.buf = b""
        log(f"guest {self.tag}: " + " ".join(self.args()))
        self.proc = spawn(self.args(), stdin=subprocess.PIPE,
                          stdout=subprocess.PIPE, stderr=self.logf)
        ready = self._reply(timeout, "ready")
        check_eq(ready.get("ports"), len(self.spec), f"guest {self.tag} ports")
        return self

    def output(self):
        return read_log(self.logpath)

    def _fail(self, msg):
        raise TestFailure(f"guest {self.tag}: {msg}\n--- its stderr:\n"
                          f"{self.output()[-3000:]}")

    def _reply(self, timeout, what):
        deadline = time.monotonic() + timeout
        fd = self.proc.stdout.fileno()
        while True:
            while b"\n" in self.buf:
                line, self.buf = self.buf.split(b"\n", 1)
                text = line.decode(errors="replace").strip()
                if text.startswith("{"):
                    return json.loads(text)
                if text:
                    log(f"guest {self.tag} stdout noise: {text}")
            left = deadline - time.monotonic()
            if left <= 0:
                self._fail(f"no reply to {what!r} within {timeout}s")
            r, _, _ = select.select([fd], [], [], min(left, 0.5))
            if r:
                chunk = os.read(fd, 65536)
                if not chunk:
                    self._fail(f"exited (status {self.proc.wait()}) before "
                               f"replying to {what!r}")
                self.buf += chunk

    def cmd(self, line, timeout=30, ok=True):
        try:
            self.proc.stdin.write((line + "\n").encode())
            self.proc.stdin.flush()
        except OSError as e:
            self._fail(f"cannot send {line!r}: {e}")
        reply = self._reply(timeout, line)
        if ok and not reply.get("ok"):
            self._fail(f"{line!r} failed: {reply}")
        return reply

    def wait_up(self, timeout=15):
        return self.cmd(f"wait_up timeout_ms={int(timeout * 1000)}",
                        timeout=timeout + 10)

    def stats(self):
        return self.cmd("stats")["ports"]

    def clear(self):
        return self.cmd("clear")

    def send(self, port, dst, count, length=60, flow=0, pps=DEFAULT_PPS,
             src=None, timeout_ms=10000):
        line = (f"send port={port} dst={dst} count={count} len={length} "
                f"flow={flow} pps={pps} timeout_ms={timeout_ms}")
        if src:
            line += f" src={src}"
        budget = timeout_ms / 1000 + (count / pps if pps else 0) + 30
        return self.cmd(line, timeout=budget)

    def stream_start(self, port, dst, pps, length=60, flow=0):
        return self.cmd(f"stream_start port={port} dst={dst} pps={pps} "
                        f"len={length} flow={flow}")["id"]

    def stream_stop(self, sid=None):
        line = "stream_stop" if sid is None else f"stream_stop id={sid}"
        return self.cmd(line)["streams"]

    def quit(self, timeout=20):
        if self.proc is None or self.proc.poll() is not None:
            return
        self.cmd("quit", timeout=timeout)
        try:
            rc = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self._fail("did not exit after quit")
        forget(self.proc)
        self.logf.close()
        check_eq(rc, 0, f"guest {self.tag} exit status")

    def kill9(self):
        self.proc.kill()
        self.proc.wait()
        forget(self.proc)
        self.logf.close()
        remove_prefix_files(self.prefix)


# --------------------------------------------------------------------------
# Traffic helpers

def rx_flow(port_stats, src_mac, flow):
    for f in port_stats["rx_flows"]:
        if f["src"] == src_mac and f["flow"] == flow:
            return f
    return None


def tx_next_seq(port_stats, flow):
    for f in port_stats["tx_flows"]:
        if f["flow"] == flow:
            return f["next_seq"]
    return 0


def flow_received(gport, src_mac, flow):
    f = rx_flow(gport.stats(), src_mac, flow)
    return f["received"] if f else 0


# The switch of the running test, for diagnostics only.
current_switch = None


def wait_flow(gport, src_mac, flow, count, timeout=20):
    """Waits until gport has count good frames of (src_mac, flow); returns
    that flow's record. On timeout, the failure shows the receiver's
    counters and the switch's drops, which say where frames went."""
    try:
        wait_for(lambda: flow_received(gport, src_mac, flow) >= count,
                 timeout, f"{count} frames of {src_mac} flow {flow} at "
                 f"{gport}")
    except TestFailure as e:
        st = gport.stats()
        msg = (f"{e}\n  flow: {rx_flow(st, src_mac, flow)}\n  port: "
               f"{ {k: v for k, v in st.items() if k.startswith('rx_')} }")
        if current_switch is not None:
            try:
                drops = {n: {k: v for k, v in c.items()
                             if k.startswith("drop_") and v}
                         for n, c in current_switch.ports().items()}
                msg += f"\n  switch drops (cumulative): {drops}"
            except (OSError, ValueError):
                msg += "\n  switch telemetry does not answer"
        raise TestFailure(msg)
    return rx_flow(gport.stats(), src_mac, flow)


def check_flow_exact(gport, src_mac, flow, count, first_seq=0):
    """The flow arrived whole: count frames, each once, in order."""
    f = rx_flow(gport.stats(), src_mac, flow)
    check(f is not None, f"{gport}: no frame of {src_mac} flow {flow}")
    check_dict(f, {"received": count, "in_order": count, "out_of_order": 0,
                   "duplicates": 0, "lost": 0, "min_seq": first_seq,
                   "max_seq": first_seq + count - 1},
               f"{gport}: flow {flow} from {src_mac}")


LEARN_FLOW = 255


def learn(switch, gports, timeout=20):
    """Each guest port sends a broadcast so the switch learns where it is;
    waits until every other port received one and the FDB holds every
    MAC. Then clears the guests' counters, so exact checks start after.

    A broadcast is sent again when it did not reach everybody: right after
    a guest attaches, the switch may find its rx ring not yet usable and
    drop (and count as tx_full) a first frame; that is start-up, not what
    the tests measure."""
    deadline = time.monotonic() + timeout
    pending = list(gports)
    while pending:
        for gp in pending:
            gp.send("bcast", 1, flow=LEARN_FLOW)

        def heard(gp):
            return all(flow_received(o, gp.mac, LEARN_FLOW) >= 1
                       for o in gports if o is not gp)
        try:
            wait_for(lambda: all(heard(gp) for gp in pending),
                     min(2.0, max(deadline - time.monotonic(), 0.1)),
                     "learning broadcasts")
        except TestFailure:
            if time.monotonic() >= deadline:
                raise TestFailure(f"learning broadcasts of {pending} did "
                                  f"not reach every port within {timeout}s")
        pending = [gp for gp in pending if not heard(gp)]
        if pending:
            log(f"learning broadcast of {pending} lost, sending again")

    # Only the count: which MAC sits on which port is what the unicast
    # checks prove (and test_telemetry checks the FDB listing itself).
    wait_for(lambda: switch.info()["fdb_entries"] >= len(gports), timeout,
             f"{len(gports)} FDB entries for {gports}")
    for g in {gp.guest for gp in gports}:
        g.clear()


def settle(seconds=0.3):
    """A short pause after the expected counts are reached, so that a frame
    delivered twice or late would show up in the exact checks that follow.
    Nothing is asserted about time."""
    time.sleep(seconds)


def check_no_drops(delta, names=None):
    for n, d in delta.items():
        if names is None or n in names:
            check_dict(d, {k: 0 for k in d if k.startswith("drop_")},
                       f"switch port {n} drops")


def check_after_kill(sw, before, a, a2, b, c, flows, stopped, n):
    """The outcome of a guest killed mid-stream and restarted: A (port a)
    streamed 512-byte frames to B on flows["a"] until killed, B and C
    streamed 256-byte frames to each other on flows["bc"] and flows["cb"]
    (stopped: what each of those two sent), and the new A (a2) sent one
    broadcast and then n 1514-byte frames to B on flows["new"]. Every
    frame sent arrived once and in order, A's stream whole up to the
    kill, with no receive errors, no drops and the switch's counters
    exact since before."""
    fbc, fcb = flows["bc"], flows["cb"]
    wait_flow(c, b.mac, fbc, stopped[fbc])
    wait_flow(b, c.mac, fcb, stopped[fcb])
    settle()
    check_flow_exact(c, b.mac, fbc, stopped[fbc])
    check_flow_exact(b, c.mac, fcb, stopped[fcb])
    check_flow_exact(b, a2.mac, LEARN_FLOW, 1)
    check_flow_exact(c, a2.mac, LEARN_FLOW, 1)
    check_flow_exact(b, a2.mac, flows["new"], n)
    # Whatever left the killed A's ring arrived whole and in order; the
    # rest was never dequeued, so there is no gap.
    ra = rx_flow(b.stats(), a.mac, flows["a"])["received"]
    check_flow_exact(b, a.mac, flows["a"], ra)
    for gp in (b, c):
        check_dict(gp.stats(), {"rx_bad": 0, "rx_foreign": 0,
                                "rx_not_for_us": 0, "rx_nombuf": 0},
                   f"{gp}: receive errors")
    d = sw.delta(before)
    check_no_drops(d)
    check_dict(d[a.name], {"rx_packets": ra + 1 + n,
                           "rx_bytes": ra * 512 + 60 + n * 1514,
                           "tx_packets": 0, "connects": 1, "disconnects": 1},
               f"switch port {a.name}")
    check_dict(d[b.name], {"rx_packets": stopped[fbc],
                           "tx_packets": stopped[fcb] + ra + 1 + n,
                           "connects": 0, "disconnects": 0},
               f"switch port {b.name}")
    check_dict(d[c.name], {"rx_packets": stopped[fcb],
                           "tx_packets": stopped[fbc] + 1,
                           "connects": 0, "disconnects": 0},
               f"switch port {c.name}")
    check(sw.alive(), "switch process alive")


def check_port_quiet(gport, what="no traffic"):
    s = gport.stats()
    check_dict(s, {"rx_frames": 0, "rx_bad": 0, "rx_foreign": 0},
               f"{gport}: {what}")


def transfer(sw, src, dst_mac, receivers, quiet, n, size, flow,
             pps=DEFAULT_PPS):
    """src sends n frames of size bytes to dst_mac. Checks that every port
    of receivers got exactly those n frames, whole and in order, that the
    ports of quiet got nothing, and that the switch's counters say the
    same: src's port received n, each receiver's port transmitted n, no
    other port moved a frame, nothing was dropped, no mbuf is held."""
    vlog = "bcast" if dst_mac == "bcast" else dst_mac
    log(f"{src} -> {vlog}: {n} x {size} B, flow {flow}, {pps} pps; "
        f"expect at {receivers}, nothing at {quiet}")
    for g in {p.guest for p in [src] + receivers + quiet}:
        g.clear()
    before = sw.snapshot()
    seq0 = tx_next_seq(src.stats(), flow)
    r = src.send(dst_mac, n, length=size, flow=flow, pps=pps)
    check_dict(r, {"sent": n, "failed": 0}, f"{src} send")
    for rp in receivers:
        wait_flow(rp, src.mac, flow, n)
    settle()
    unicast = dst_mac != "bcast" and not int(dst_mac.split(":")[0], 16) & 1
    for rp in receivers:
        check_flow_exact(rp, src.mac, flow, n, seq0)
        mine = unicast and dst_mac == rp.mac
        check_dict(rp.stats(), {
            "rx_frames": n, "rx_good": n, "rx_bytes": n * size, "rx_bad": 0,
            "rx_foreign": 0, "rx_flow_overflow": 0, "rx_nombuf": 0,
            "rx_not_for_us": n if unicast and not mine else 0},
            f"{rp}: receiver stats")
    ss = src.stats()
    check_dict(ss, {"tx_sent": n, "tx_bytes": n * size, "tx_failed": 0,
                    "rx_frames": 0}, f"{src}: sender stats")
    for q in quiet:
        check_port_quiet(q, f"must not see {src}'s frames")
    d = sw.delta(before)
    check_no_drops(d)
    check_dict(d[src.name], {"rx_packets": n, "rx_bytes": n * size,
                             "tx_packets": 0, "tx_bytes": 0},
               f"switch port {src.name} (sender)")
    for rp in receivers:
        check_dict(d[rp.name], {"rx_packets": 0, "rx_bytes": 0,
                                "tx_packets": n, "tx_bytes": n * size},
                   f"switch port {rp.name} (receiver)")
    for name in d:
        if name != src.name and name not in [p.name for p in receivers]:
            check_dict(d[name], {"rx_packets": 0, "tx_packets": 0},
                       f"switch port {name} (uninvolved)")
    sw.wait_no_mbufs_in_use()


def expect_delta(sw, before, expected, timeout=15):
    """Waits until the switch's counters moved by exactly expected since
    before: {port: {counter: value}}, every counter not named, of every
    port, expected not to move. Then settles and checks again, so late
    extra frames fail the test too."""
    def diff():
        d = sw.delta(before)
        bad = {}
        for n, counters in d.items():
            for k, v in counters.items():
                want = expected.get(n, {}).get(k, 0)
                if v != want:
                    bad[f"{n}.{k}"] = (want, v)
        return bad, d

    try:
        wait_for(lambda: not diff()[0], timeout, "switch counter deltas")
    except TestFailure:
        bad, d = diff()
        lines = [f"  {k}: expected {e}, got {g}" for k, (e, g) in
                 sorted(bad.items())]
        raise TestFailure("switch counters:\n" + "\n".join(lines))
    settle()
    bad, d = diff()
    if bad:
        raise TestFailure(f"switch counters changed after settling: {bad}")
    return d


def start_all(sw_bin, tg_bin, names=("a", "b", "c"), groups=None):
    """Starts a switch with ports names and guests on them: groups lists,
    per guest process, the port names it holds (default: one process with
    every port). Guest port names[i] has MAC mac_of(0x0a + i). Waits until
    every link is up on both sides. Returns (switch, guests, {name:
    GuestPort})."""
    require_hugepages()
    sw = Switch(sw_bin, names).start()
    groups = groups or [list(names)]
    guests, gports = [], {}
    for gi, group in enumerate(groups):
        spec = [(n, sw.sockets[n], mac_of(0x0a + names.index(n)))
                for n in group]
        g = Guest(tg_bin, spec, sw.dir, tag=f"g{gi}").start()
        guests.append(g)
        for gp in g.ports:
            gports[gp.name] = gp
    for g in guests:
        g.wait_up()
    sw.wait_state(list(names), "up")
    return sw, guests, gports


def finish(sw, guests):
    """The common end of a traffic test: no mbuf held, guests quit
    cleanly, the switch exits 0 on SIGTERM."""
    sw.wait_no_mbufs_in_use()
    for g in guests:
        g.quit()
    rc, out = sw.stop()
    check_eq(rc, 0, "switch exit status after SIGTERM")


def run(body):
    """Runs body(switch_bin, guest_bin) with cleanup on every path and
    maps the outcome to an exit status."""
    status = 1
    try:
        sw, tg = binaries()
        for b in (sw, tg):
            if not os.access(b, os.X_OK):
                raise SystemExit(f"not executable: {b}")
        body(sw, tg)
        status = 0
        log("PASS")
    except Skip as e:
        log(f"SKIP: {e}")
        status = SKIP
    except TestFailure as e:
        log(f"FAIL: {e}")
        traceback.print_exc()
    except Exception:
        log("ERROR")
        traceback.print_exc()
    finally:
        cleanup()
    sys.exit(status)


# --------------------------------------------------------------------------
# The control plane: vhostswitch-ctl, the raw control socket, config files

def ctl_binary(switch_bin):
    """vhostswitch-ctl is built next to the switch."""
    return os.path.join(os.path.dirname(os.path.abspath(switch_bin)),
                        "vhostswitch-ctl")


def ctl_socket(sw):
    """The control socket Switch.args() gives the switch."""
    return os.path.join(sw.dir, "ctl.sock")


class CtlResult:
    def __init__(self, words, rc, out, err):
        self.words, self.rc, self.out, self.err = words, rc, out, err

    def __repr__(self):
        return (f"vhostswitch-ctl {' '.join(self.words)}: exit {self.rc}, "
                f"stdout {self.out!r}, stderr {self.err!r}")


class Ctl:
    """Runs vhostswitch-ctl against one switch's control socket."""

    def __init__(self, binary, path):
        self.binary = binary
        self.path = path

    def run(self, *words, json_out=False, timeout=30):
        args = [self.binary, "-s", self.path] + \
            (["--json"] if json_out else []) + list(words)
        try:
            p = subprocess.run(args, stdin=subprocess.DEVNULL,
                               capture_output=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            raise TestFailure(f"vhostswitch-ctl {' '.join(words)}: no exit "
                              f"within {timeout}s")
        shown = (["--json"] if json_out else []) + list(words)
        return CtlResult(shown, p.returncode,
                         p.stdout.decode(errors="replace"),
                         p.stderr.decode(errors="replace"))

    def ok(self, *words, **kw):
        """Runs a command that must succeed; returns its stdout."""
        r = self.run(*words, **kw)
        if r.rc != 0 or r.err != "":
            raise TestFailure(f"expected success: {r!r}")
        return r.out

    def json(self, *words):
        """Runs a command that must succeed with --json; returns the
        parsed reply."""
        out = self.ok(*words, json_out=True)
        try:
            return json.loads(out)
        except ValueError as e:
            raise TestFailure(f"vhostswitch-ctl --json {' '.join(words)}: "
                              f"not JSON ({e}): {out!r}")

    def message(self, *words):
        """Runs a command that must succeed and print exactly one line;
        returns the line."""
        out = self.ok(*words)
        if not out.endswith("\n") or out.count("\n") != 1:
            raise TestFailure(f"vhostswitch-ctl {' '.join(words)}: expected "
                              f"one line, got {out!r}")
        return out[:-1]

    def refused(self, *words, json_out=False):
        """Runs a command the switch must refuse: exit status 1, nothing
        on stdout, one line on stderr ("vhostswitch-ctl: MESSAGE" in text,
        {"error": MESSAGE} with --json). Returns MESSAGE."""
        r = self.run(*words, json_out=json_out)
        if r.rc != 1 or r.out != "" or not r.err.endswith("\n") or \
                r.err.count("\n") != 1:
            raise TestFailure(f"expected a one-line refusal: {r!r}")
        line = r.err[:-1]
        if json_out:
            try:
                obj = json.loads(line)
            except ValueError as e:
                raise TestFailure(f"refusal is not JSON ({e}): {r!r}")
            if not isinstance(obj, dict) or list(obj) != ["error"]:
                raise TestFailure(f"refusal is not {{\"error\": ...}}: {r!r}")
            return obj["error"]
        prefix = "vhostswitch-ctl: "
        if not line.startswith(prefix):
            raise TestFailure(f"refusal does not start with {prefix!r}: {r!r}")
        return line[len(prefix):]


def parse_table(text):
    """A text table as vhostswitch-ctl prints it (a header of column names,
    cells left-aligned under them) -> a list of {column: cell}. Columns are
    cut at the header names' positions, so cells may hold blanks."""
    lines = [ln for ln in text.split("\n") if ln.strip()]
    if not lines:
        return []
    head = lines[0]
    indent = len(head) - len(head.lstrip())
    starts = [m.start() for m in re.finditer(r"\S+", head)]
    names = head.split()
    rows = []
    for ln in lines[1:]:
        if len(ln) - len(ln.lstrip()) < indent:
            raise TestFailure(f"table row less indented than its header: "
                              f"{ln!r} in\n{text}")
        cells = []
        for i, s in enumerate(starts):
            end = starts[i + 1] if i + 1 < len(starts) else None
            cells.append(ln[s:end].strip())
        rows.append(dict(zip(names, cells)))
    return rows


def parse_fields(text):
    """Key/value lines as vhostswitch-ctl prints an object ("key  value",
    "key:" followed by a more indented block) -> {key: value}; a block's
    value is its text, dedented, for parse_fields or parse_table. A line
    of one word and no colon is a key with an empty value."""
    lines = [ln for ln in text.split("\n") if ln.strip()]
    res = {}
    i = 0
    while i < len(lines):
        ln = lines[i]
        ind = len(ln) - len(ln.lstrip())
        body = ln.strip()
        if body.endswith(":") and " " not in body:
            block = []
            i += 1
            while i < len(lines) and \
                    len(lines[i]) - len(lines[i].lstrip()) > ind:
                block.append(lines[i])
                i += 1
            strip = min(len(b) - len(b.lstrip()) for b in block) if block \
                else 0
            res[body[:-1]] = "\n".join(b[strip:] for b in block) + "\n"
            continue
        parts = body.split(None, 1)
        res[parts[0]] = parts[1] if len(parts) > 1 else ""
        i += 1
    return res


class CtlConn:
    """One raw connection to the control socket, for what vhostswitch-ctl
    would never send."""

    # Generous: a loaded machine may keep the switch's control thread off
    # the CPU for a while; nothing here measures time.
    def __init__(self, path, timeout=20.0):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        self.buf = b""
        # With a timeout the socket is non-blocking, and a Unix socket's
        # connect() fails with EAGAIN while the listen backlog is full.
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.sock.connect(path)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    self.sock.close()
                    raise
                time.sleep(0.01)

    def send(self, data):
        self.sock.sendall(data)

    def _fill(self, timeout):
        self.sock.settimeout(timeout)
        chunk = self.sock.recv(65536)
        if not chunk:
            raise EOFError("connection closed")
        self.buf += chunk

    def reply(self, timeout=20.0):
        """Reads one reply: returns ("ok" or "error", body bytes)."""
        try:
            while b"\n" not in self.buf:
                self._fill(timeout)
            head, rest = self.buf.split(b"\n", 1)
            m = re.fullmatch(rb"(ok|error) (\d+)", head)
            if not m:
                raise TestFailure(f"malformed reply header {head!r}")
            n = int(m.group(2))
            self.buf = rest
            while len(self.buf) < n:
                self._fill(timeout)
        except (EOFError, OSError) as e:
            raise TestFailure(f"no complete reply ({e!r}); got "
                              f"{self.buf!r}")
        body, self.buf = self.buf[:n], self.buf[n:]
        return m.group(1).decode(), body

    def closed(self, timeout=5.0):
        """True when the switch closed the connection (end of file or a
        reset) within timeout, False when it is still open; bytes nobody
        asked for fail the test."""
        try:
            self._fill(timeout)
        except (EOFError, ConnectionResetError):
            result = True
        except socket.timeout:
            result = False
        if self.buf:
            raise TestFailure(f"unexpected bytes from the control socket: "
                              f"{self.buf!r}")
        return result

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def ctl_request(path, data, timeout=20.0):
    """Sends data on a new raw connection, reads one reply, then whether
    the switch closed the connection: (status, body, closed)."""
    c = CtlConn(path, timeout)
    try:
        c.send(data)
        status, body = c.reply(timeout)
        closed = c.closed(0.5)
    finally:
        c.close()
    return status, body, closed


class Soft:
    """Collects failures of independent checks so that one run reports
    all of them; fail() raises them together."""

    def __init__(self):
        self.failures = []

    def __call__(self, fn, *args, **kw):
        try:
            return fn(*args, **kw)
        except TestFailure as e:
            self.failures.append(str(e))
            log(f"MISMATCH: {e}")
            return None

    def eq(self, got, expected, what):
        return self(check_eq, got, expected, what)

    def true(self, cond, what):
        return self(check, cond, what)

    def fail(self):
        if self.failures:
            raise TestFailure(f"{len(self.failures)} check(s) failed:\n  " +
                              "\n  ".join(self.failures))


def run_to_exit(args, timeout=30, stdin=subprocess.DEVNULL):
    """Runs a command that must exit by itself: (status, stdout, stderr)."""
    log("run: " + " ".join(args))
    proc = spawn(args, stdin=stdin, stdout=subprocess.PIPE,
                 stderr=subprocess.PIPE)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        forget(proc)
        raise TestFailure(f"{args}: still running after {timeout}s")
    forget(proc)
    return proc.returncode, out.decode(errors="replace"), \
        err.decode(errors="replace")


def prefix_files(prefix):
    """What a DPDK process with this file prefix left: hugepage files and
    its runtime directory."""
    left = glob.glob(os.path.join(HUGEPAGE_DIR, prefix + "*"))
    if os.path.exists(os.path.join(DPDK_RUN_DIR, prefix)):
        left.append(os.path.join(DPDK_RUN_DIR, prefix))
    return left


class ConfigSwitch(Switch):
    """A switch whose ports come from a --config file instead of --vhost
    options. ports lists (name, socket path, "server" or "client"); start()
    waits for every port and every server socket."""

    def __init__(self, binary, config, ports, workdir, extra=(), tag="cf"):
        super().__init__(binary, [n for n, _, _ in ports], workdir=workdir,
                         extra=extra, tag=tag)
        self.config = config
        self.sockets = {n: p for n, p, mode in ports if mode == "server"}

    def args(self):
        return [self.binary, "-l", "0,1", "--main-lcore", "0", "--no-pci",
                "--file-prefix", self.prefix, "--", "--config", self.config,
                "--stats-interval", "0", "--ctl-socket",
                ctl_socket(self)] + self.extra


def stop_streams(guests):
    """Stops every stream of guests: {flow: frames sent}."""
    sent = {}
    for g in guests:
        for s in g.stream_stop():
            sent[s["flow"]] = s["sent"]
    return sent


def check_streams_exact(flows, sent, timeout=30):
    """flows: {flow: (sender GuestPort, receiver GuestPort)}; sent: {flow:
    frames sent}. Waits for every frame, then checks each flow arrived
    whole: each frame once, in order, none lost."""
    for flow, (src, dst) in flows.items():
        wait_flow(dst, src.mac, flow, sent[flow], timeout)
    settle()
    for flow, (src, dst) in flows.items():
        check_flow_exact(dst, src.mac, flow, sent[flow])
