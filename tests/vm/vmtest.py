# SPDX-License-Identifier: BSD-3-Clause
"""Helpers of the vm suite: real QEMU guests (TCG) on vhostswitch ports.

Each test script runs as `python3 test_X.py` with these in its environment
(tests/vm/meson.build sets them):
    VS_SWITCH        the vhostswitch binary
    VS_CTL           vhostswitch-ctl
    VS_GUEST_BUILDER tests/vm/build-guest.sh
    VS_GUEST_CACHE   where the built guest is kept (the meson build dir)
    VS_QEMU          qemu-system-x86_64 (default: from PATH)
    VS_TESTPMD       dpdk-testpmd (default: from PATH)
and exits 0 on success, 77 (meson's skip) when this machine cannot run it,
1 on failure.

The pieces:
  Switch   vhostswitch on lcores 0 (control) and 1 (the one worker), its
           ports from a --config file, queried with vhostswitch-ctl --json.
  Qemu     one guest: the kernel and busybox initramfs of build-guest.sh,
           its NIC a vhost-user virtio-net-pci on a switch port, its job a
           shell script (guest-lib.sh's functions) passed on the kernel
           command line, its serial console on QEMU's stdio: output to a
           log file that markers ("VSM EVENT key=value ...") are read from,
           input from a pipe that answers the guest's vs_hold.
  Testpmd  Debian's dpdk-testpmd in icmpecho mode on a virtio-user port:
           a "guest" that answers ARP and ping for any address.

CPUs: the machine has two. The switch's worker busy-polls CPU 1; QEMU (all
its threads) is pinned to CPU 0; testpmd's forwarding lcore shares CPU 1
with the switch's worker, so that the guests keep CPU 0.

Cleanup: every process, directory and DPDK file prefix is recorded by
tests/common/vsproc.py; cleanup() (try/finally in run(), atexit,
SIGTERM/SIGINT/SIGHUP) kills what still runs, removes the hugepage files and /var/run/dpdk directories of the
prefixes and the temporary directories (sockets, logs, config). QEMU's
memory is a memfd: nothing on disk. Children get PR_SET_PDEATHSIG, so a
test killed outright does not leave guests running; what such a test
leaves on disk is swept by the next run (names "vsvm<pid>...").
"""

import base64
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import traceback

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "common"))
from vsproc import (SKIP, Skip, TestFailure, check, check_eq,  # noqa: E402,F401
                    at_cleanup, cleanup, forget, hugepages_free, leftovers,
                    log, new_dir, new_prefix, remove_prefix_files, spawn)
import vsproc  # noqa: E402

QEMU_CPU = 0           # QEMU's threads
GUEST_MEM = "256M"
BOOT_TIMEOUT = 240     # seconds from QEMU's start to the guest's first marker
SUBNET = "10.98.0"

vsproc.init("vsvm", elapsed=True, grace=5.0, keep_env="VS_VM_KEEP")


def wait_for(pred, timeout, what, interval=0.1):
    return vsproc.wait_for(pred, timeout, what, interval=interval,
                           max_interval=interval)


_evidence = []   # objects with evidence(): printed when a test fails


def print_evidence():
    for obj in _evidence:
        try:
            log("evidence:\n" + obj.evidence())
        except Exception as e:  # noqa: BLE001 - evidence is best effort
            log(f"evidence of {obj!r} unavailable: {e!r}")


def tail(path, n=60):
    try:
        with open(path, errors="replace") as f:
            lines = f.read().splitlines()
    except OSError:
        return f"({path}: unreadable)"
    return "\n".join(lines[-n:])


# --------------------------------------------------------------------------
# The environment

class Env:
    def __init__(self):
        e = os.environ
        self.switch = e.get("VS_SWITCH") or _need("VS_SWITCH")
        self.ctl = e.get("VS_CTL") or os.path.join(
            os.path.dirname(self.switch), "vhostswitch-ctl")
        self.builder = e.get("VS_GUEST_BUILDER") or os.path.join(
            os.path.dirname(os.path.abspath(__file__)), "build-guest.sh")
        self.cache = e.get("VS_GUEST_CACHE") or _need("VS_GUEST_CACHE")
        self.qemu = e.get("VS_QEMU") or shutil.which("qemu-system-x86_64")
        self.testpmd = e.get("VS_TESTPMD") or shutil.which("dpdk-testpmd")

    def require(self, testpmd=False, hugepages=0):
        if os.geteuid() != 0:
            raise Skip("needs root (hugepages, /dev/hugepages, vhost-user)")
        if not self.qemu:
            raise Skip("no qemu-system-x86_64 (apt-get install "
                       "qemu-system-x86)")
        if testpmd and not self.testpmd:
            raise Skip("no dpdk-testpmd (apt-get install dpdk)")
        if os.cpu_count() < 2:
            raise Skip("needs two CPUs")
        need = 64 + hugepages
        free = hugepages_free()
        if free < need:
            raise Skip(f"needs {need} free 2 MiB hugepages (has {free})")

    def guest(self):
        """Builds the guest image (once: it is cached) -> its directory."""
        t = time.monotonic()
        p = subprocess.run([self.builder, self.cache], capture_output=True,
                           text=True, timeout=900)
        if p.returncode == SKIP:
            raise Skip("no guest image: " + p.stderr.strip())
        if p.returncode != 0:
            raise TestFailure(f"{self.builder} failed ({p.returncode}):\n"
                              f"{p.stdout}{p.stderr}")
        d = p.stdout.strip().splitlines()[-1]
        with open(os.path.join(d, "kernel.txt")) as f:
            what = f.read().strip()
        log(f"guest image {d} ({what}; {time.monotonic() - t:.1f}s)")
        return GuestImage(d)


def _need(var):
    raise SystemExit(f"{var} is not set (run through meson test)")


class GuestImage:
    def __init__(self, d):
        self.dir = d
        self.initrd = os.path.join(d, "initrd.img")
        # The uncompressed ELF boots through PVH: no decompression, which
        # takes TCG several seconds. VS_VM_BZIMAGE=1 boots the bzImage.
        elf = os.path.join(d, "vmlinux")
        if os.path.exists(elf) and not os.environ.get("VS_VM_BZIMAGE"):
            self.kernel = elf
        else:
            self.kernel = os.path.join(d, "vmlinuz")


# --------------------------------------------------------------------------
# The switch

class Switch:
    """vhostswitch with ports from a config file: ports is a list of
    (name, socket path, extra words such as "client" or "queues 2");
    more_config: further lines of the config file (eth ports among them);
    netns: the network namespace it runs in (None: this one)."""

    def __init__(self, env, workdir, ports, tag="sw", more_config=(),
                 netns=None):
        self.env = env
        self.dir = workdir
        self.ports = ports
        self.netns = netns
        self.n_ports = len(ports) + sum(
            1 for line in more_config if line.startswith("port add "))
        self.prefix = new_prefix(tag)
        self.config = os.path.join(workdir, "switch.conf")
        self.ctl_sock = os.path.join(workdir, "ctl.sock")
        self.logpath = os.path.join(workdir, "switch.log")
        self.proc = None
        _evidence.append(self)
        with open(self.config, "w") as f:
            for name, path, extra in ports:
                f.write(f"port add vhost {name} socket {path} {extra}"
                        .rstrip() + "\n")
            for line in more_config:
                f.write(line + "\n")

    def start(self, timeout=60):
        args = [self.env.switch, "-l", "0,1", "--main-lcore", "0",
                "--no-pci", "--file-prefix", self.prefix, "--",
                "--config", self.config, "--ctl-socket", self.ctl_sock,
                "--stats-interval", "0"]
        if self.netns:
            args = ["ip", "netns", "exec", self.netns] + args
        log("switch: " + " ".join(args))
        self.logf = open(self.logpath, "w")
        self.proc = spawn(args, stdin=subprocess.DEVNULL,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        # The switch's log, each line with the test's clock (as log()'s
        # +seconds): when something took long, the log says where.
        self.copier = threading.Thread(target=self._copy_log, daemon=True)
        self.copier.start()
        servers = [p for _, p, extra in self.ports
                   if "client" not in extra.split()]

        def ready():
            if self.proc.poll() is not None:
                raise TestFailure(f"switch exited with {self.proc.returncode}"
                                  f":\n{tail(self.logpath)}")
            if not os.path.exists(self.ctl_sock):
                return False
            r = self.run("port", "list", timeout=10)
            if r.returncode != 0:
                return False
            names = [p["name"] for p in json.loads(r.stdout)["ports"]]
            return len(names) == self.n_ports and \
                all(os.path.exists(p) for p in servers)
        wait_for(ready, timeout, "the switch's control socket and ports",
                 interval=0.2)
        return self

    def _copy_log(self):
        try:
            for line in self.proc.stdout:
                self.logf.write(f"+{vsproc.elapsed():7.2f}s " +
                                line.decode(errors="replace"))
                self.logf.flush()
        except (OSError, ValueError):
            pass

    def run(self, *words, timeout=30):
        return subprocess.run([self.env.ctl, "-s", self.ctl_sock, "--json"] +
                              list(words), stdin=subprocess.DEVNULL,
                              capture_output=True, text=True, timeout=timeout)

    def ctl(self, *words):
        r = self.run(*words)
        if r.returncode != 0:
            raise TestFailure(f"vhostswitch-ctl {' '.join(words)}: exit "
                              f"{r.returncode}: {r.stderr.strip()}")
        return json.loads(r.stdout)

    def port(self, name):
        """vhostswitch-ctl --json port show NAME."""
        return self.ctl("port", "show", name)

    def port_text(self, name):
        """The same for people (evidence in failure messages)."""
        p = subprocess.run([self.env.ctl, "-s", self.ctl_sock, "port", "show",
                            name], capture_output=True, text=True, timeout=30)
        return p.stdout + p.stderr

    def wait_port(self, name, what, pred, timeout=30):
        last = {}
        t = time.monotonic()

        def ok():
            last["p"] = self.port(name)
            return pred(last["p"])
        try:
            wait_for(ok, timeout, f"switch port {name}: {what}", interval=0.2)
        except TestFailure as e:
            raise TestFailure(f"{e}\nport show {name}:\n"
                              f"{self.port_text(name)}")
        log(f"switch port {name}: {what} ({time.monotonic() - t:.1f}s)")
        return last["p"]

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def evidence(self):
        out = f"--- switch log ({self.logpath}), last lines:\n" + \
            tail(self.logpath, 40)
        if self.alive():
            for name, _, _ in self.ports:
                out += f"\n--- vhostswitch-ctl port show {name}:\n" + \
                    self.port_text(name)
        return out

    def stop(self, timeout=30):
        """SIGTERM; the switch must exit 0 and remove its server sockets."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise TestFailure(f"switch still running {timeout}s after "
                              f"SIGTERM:\n{tail(self.logpath)}")
        self.copier.join(timeout=10)
        forget(self.proc)
        self.logf.close()
        remove_prefix_files(self.prefix)
        check_eq(rc, 0, "switch exit status")
        left = [p for _, p, extra in self.ports
                if "client" not in extra.split() and os.path.exists(p)]
        check_eq(left, [], "server sockets left by the switch")
        return rc


# --------------------------------------------------------------------------
# testpmd in icmpecho mode

class Testpmd:
    """A virtio-user "guest" answering ARP and ping for any address."""

    MAC = "02:00:00:98:00:99"

    def __init__(self, env, workdir, sock, mac=MAC, tag="tp"):
        self.env = env
        self.sock = sock
        self.mac = mac
        self.prefix = new_prefix(tag)
        self.logpath = os.path.join(workdir, f"testpmd-{tag}.log")
        self.proc = None
        _evidence.append(self)

    def evidence(self):
        return f"--- testpmd log ({self.logpath}), last lines:\n" + \
            tail(self.logpath, 25)

    def start(self, switch, port, timeout=60):
        """Starts testpmd on switch port `port` and waits until the switch
        sees it attached."""
        # Lcore 1 (forwarding) shares CPU 1 with the switch's worker;
        # --in-memory: a kill leaves no hugepage files.
        args = [self.env.testpmd, "-l", "0,1", "--main-lcore", "0",
                "--no-pci", "--in-memory", "--single-file-segments",
                "--file-prefix", self.prefix,
                "--vdev", f"net_virtio_user0,path={self.sock},mac={self.mac}",
                "--", "--forward-mode=icmpecho", "--total-num-mbufs=4096",
                "--nb-cores=1"]
        log("testpmd: " + " ".join(args))
        stdbuf = shutil.which("stdbuf")
        self.logf = open(self.logpath, "w")
        # Without -i testpmd forwards until a line (or EOF) on stdin.
        self.proc = spawn(([stdbuf, "-oL"] if stdbuf else []) + args,
                          stdin=subprocess.PIPE, stdout=self.logf,
                          stderr=subprocess.STDOUT)

        def attached():
            if self.proc.poll() is not None:
                raise TestFailure(f"testpmd exited with "
                                  f"{self.proc.returncode}:\n"
                                  f"{tail(self.logpath)}")
            p = switch.port(port)
            return p["state"] == "up" and p["connects"] >= 1
        try:
            wait_for(attached, timeout, f"testpmd attached to switch port "
                     f"{port}", interval=0.2)
        except TestFailure as e:
            raise TestFailure(f"{e}\n{tail(self.logpath)}")
        return self

    def stop(self, timeout=20):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        forget(self.proc)
        self.logf.close()
        remove_prefix_files(self.prefix)


# --------------------------------------------------------------------------
# QEMU guests

MARK_RE = re.compile(r"VSM ([a-z][a-z0-9-]*)((?: [a-z0-9_]+=\S*)*)\s*$")


def parse_markers(text):
    out = []
    for line in text.splitlines():
        m = MARK_RE.search(line)
        if not m:
            continue
        kv = dict(w.split("=", 1) for w in m.group(2).split())
        out.append((m.group(1), kv))
    return out


def guest_mac(i):
    return f"52:54:00:98:00:{i:02x}"


def guest_ip(i):
    return f"{SUBNET}.{i}"


class Qemu:
    """One guest. job: shell commands (guest-lib.sh's vs_* functions,
    $VS_BOOT the boot count, $VS_DEV the NIC); end: what the guest does
    after the job (poweroff, reboot, wait); packed: its NIC uses packed
    virtqueues (virtio 1.1) instead of split ones."""

    def __init__(self, env, image, workdir, name, sock, index, job,
                 server=False, reboot=False, smp=1, queues=1, end="poweroff",
                 guest_timeout=400, packed=False):
        self.env = env
        self.image = image
        self.name = name
        self.sock = sock
        self.mac = guest_mac(index)
        self.ip = guest_ip(index)
        self.job = job
        self.server = server
        self.reboot = reboot
        self.smp = smp
        self.queues = queues
        self.packed = packed
        self.end = end
        self.guest_timeout = guest_timeout
        self.console = os.path.join(workdir, f"{name}.console.log")
        self.errpath = os.path.join(workdir, f"{name}.qemu.log")
        self.proc = None
        self.started = None
        _evidence.append(self)

    def args(self):
        job = base64.b64encode(self.job.encode()).decode()
        append = (f"console=ttyS0 quiet panic=-1 vs.ip={self.ip}/24 "
                  f"vs.timeout={self.guest_timeout} vs.end={self.end} "
                  f"vs.job={job}")
        if len(append) > 2000:
            raise TestFailure(f"{self.name}: kernel command line too long "
                              f"({len(append)} bytes, 2048 at most)")
        chardev = f"socket,id=c0,path={self.sock}"
        if self.server:
            chardev += ",server=on,wait=off"
        netdev = "vhost-user,id=n0,chardev=c0"
        device = f"virtio-net-pci,netdev=n0,mac={self.mac},romfile="
        if self.queues > 1:
            netdev += f",queues={self.queues}"
            device += ",mq=on,vectors=0"
        if self.packed:
            device += ",packed=on"
        a = [self.env.qemu, "-nodefaults", "-no-user-config",
             "-msg", "timestamp=on",
             "-display", "none", "-accel", "tcg",
             "-name", self.name,
             "-m", GUEST_MEM, "-smp", str(self.smp),
             "-object", f"memory-backend-memfd,id=mem,size={GUEST_MEM},"
                        "share=on",
             "-machine", "pc,memory-backend=mem",
             "-kernel", self.image.kernel, "-initrd", self.image.initrd,
             "-append", append,
             "-chardev", chardev, "-netdev", netdev, "-device", device,
             # QEMU 7.2 crashes when a vhost-user netdev starts while the
             # guest uses MSI-X under TCG.
             "-global", "virtio-net-pci.vectors=0",
             "-chardev", "stdio,id=ser0,signal=off",
             "-serial", "chardev:ser0"]
        if not self.reboot:
            a.append("-no-reboot")
        return a

    def start(self):
        args = self.args()
        shown = [a if not a.startswith("console=") else
                 a.split(" vs.job=")[0] + " vs.job=..." for a in args]
        log(f"{self.name} (pinned to CPU {QEMU_CPU}): " + " ".join(shown))
        log(f"{self.name}: job:\n    " + self.job.strip().replace(
            "\n", "\n    "))
        self.conf = open(self.console, "wb")
        self.errf = open(self.errpath, "wb")
        self.started = time.monotonic()
        self.proc = spawn(args, cpus={QEMU_CPU}, stdin=subprocess.PIPE,
                          stdout=self.conf, stderr=self.errf)
        return self

    def output(self):
        try:
            with open(self.console, "rb") as f:
                return f.read().decode(errors="replace")
        except OSError:
            return ""

    def markers(self):
        return parse_markers(self.output())

    def evidence(self):
        err = tail(self.errpath, 20)
        return (f"--- {self.name} console ({self.console}), last lines:\n"
                f"{tail(self.console)}\n--- {self.name} QEMU stderr:\n"
                f"{err}\n--- {self.name} exit status: "
                f"{self.proc.poll() if self.proc else None}")

    def wait_marker(self, event, n=1, timeout=BOOT_TIMEOUT, **match):
        """Waits for the n-th marker EVENT whose keys match; returns its
        key/values. Fails at once when the guest gave up (timeout marker),
        or QEMU exited first."""
        def find():
            ms = self.markers()
            hits = [kv for ev, kv in ms if ev == event and
                    all(kv.get(k) == str(v) for k, v in match.items())]
            if len(hits) >= n:
                return [hits[n - 1]]   # a marker without keys is {}
            if any(ev == "timeout" for ev, _ in ms):
                raise TestFailure(f"{self.name}: the guest's own timeout "
                                  f"struck before marker {event}")
            if self.proc.poll() is not None:
                # One last look: output written just before the exit.
                ms = self.markers()
                hits = [kv for ev, kv in ms if ev == event and
                        all(kv.get(k) == str(v) for k, v in match.items())]
                if len(hits) >= n:
                    return [hits[n - 1]]
                raise TestFailure(f"{self.name}: QEMU exited "
                                  f"({self.proc.returncode}) before marker "
                                  f"{event} #{n} {match or ''}")
            return None
        kv = wait_for(find, timeout, f"{self.name}: marker {event} #{n} "
                      f"{match or ''}", interval=0.25)[0]
        log(f"{self.name}: VSM {event}" +
            "".join(f" {k}={v}" for k, v in kv.items()))
        return kv

    def release(self, name):
        """Answers the guest's `vs_hold NAME`."""
        self.proc.stdin.write(name.encode() + b"\n")
        self.proc.stdin.flush()

    def wait_exit(self, timeout=120):
        try:
            rc = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise TestFailure(f"{self.name}: QEMU still running after "
                              f"{timeout}s")
        log(f"{self.name}: QEMU exited {rc} after "
            f"{time.monotonic() - self.started:.1f}s")
        forget(self.proc)
        self.conf.close()
        self.errf.close()
        return rc

    def kill9(self):
        self.proc.kill()
        self.proc.wait()
        log(f"{self.name}: QEMU killed (SIGKILL) after "
            f"{time.monotonic() - self.started:.1f}s")
        forget(self.proc)
        self.conf.close()
        self.errf.close()

    def log_markers(self):
        """Every marker the guest printed, with the guest's uptime where
        the marker has one (for the record: where the time went)."""
        if self.proc is None:
            return
        lines = [f"{ev} " + " ".join(f"{k}={v}" for k, v in kv.items()
                                     if k != "features")
                 for ev, kv in self.markers()]
        log(f"{self.name}: all markers:\n    " + "\n    ".join(lines))

    def boot_time(self, n=1):
        """Seconds from QEMU's start to marker `net` of boot n; logs them
        and how much of it went before the guest's kernel started (QEMU
        starting, or waiting for the switch to connect to its socket)."""
        kv = self.wait_marker("net", n=n)
        took = time.monotonic() - self.started
        try:
            before = f"{took - float(kv.get('t', 'x')):.1f}"
        except ValueError:
            before = "?"
        log(f"{self.name}: boot {n}: net up {took:.1f}s after QEMU's start "
            f"(guest uptime {kv.get('t')}s: {before}s before its kernel "
            "started)")
        return took


def unix_connected(path):
    """True when a connected stream socket has the name path (the server's
    end of an accepted connection on it), from /proc/net/unix."""
    try:
        with open("/proc/net/unix") as f:
            next(f)
            for line in f:
                w = line.split()
                # Num RefCount Protocol Flags Type St Inode [Path]
                if len(w) >= 8 and w[7] == path and w[5] == "03":
                    return True
    except OSError:
        pass
    return False


def check_ping(kv, count, what):
    """A vs_ping marker: every one of count pings answered."""
    check(kv.get("sent") == str(count) and kv.get("received") == str(count),
          f"{what}: expected {count} of {count} pings answered, got "
          f"{kv.get('received')} of {kv.get('sent')}")


def check_job_done(guest, n=1):
    kv = guest.wait_marker("job-done", n=n)
    check_eq(kv.get("rc"), "0", f"{guest.name}: job exit status")


# --------------------------------------------------------------------------
# Running a test

def run(body, testpmd=False, hugepages=0):
    """Runs body(env, image, workdir); exit status 0, 1 or 77."""
    env = Env()
    status = 1
    t = time.monotonic()
    try:
        env.require(testpmd=testpmd, hugepages=hugepages)
        image = env.guest()
        body(env, image, new_dir())
        status = 0
    except Skip as e:
        log(f"SKIP: {e}")
        status = SKIP
    except TestFailure as e:
        log(f"FAIL: {e}")
        print_evidence()
    except Exception:
        log("ERROR:\n" + traceback.format_exc())
        print_evidence()
    finally:
        for obj in _evidence:
            if isinstance(obj, Qemu):
                obj.log_markers()
        cleanup()
    left = leftovers()
    if left:
        log(f"FAIL: left behind: {left}")
        status = 1
    if status == 0:
        log(f"PASS ({time.monotonic() - t:.1f}s)")
    sys.exit(status)
