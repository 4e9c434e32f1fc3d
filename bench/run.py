#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""The benchmark runner: vhostswitch against its peers, in one sitting.

For every frame size, rounds alternate the backends (A B C A B C ...) over
the same topology and the same frontend, so that the noise of a shared
machine falls on all of them alike; the summary gives medians, min-max and
ratios to the baseline taken round by round (pair by pair), not ratios of
medians.

Backends (each polls on lcore 1; the frontend has lcore 0):
  vhostswitch     the switch, L2 learning bridge
  vhostswitch-xc  the switch, the two ports cross-connected (`xconnect`)
  testpmd         dpdk-testpmd io forwarding between net_vhost (and, in
                  pvp, net_memif) ports: the no-lookup floor of rte_vhost
  ovs-normal      OVS-DPDK (Debian's openvswitch-switch-dpdk), NORMAL action
  ovs-flows       OVS-DPDK, one port-to-port OpenFlow rule per direction
  NAME=PATH       another vhostswitch binary (L2 mode), reported as NAME

Topologies:
  loopback  DESIGN.md's reference: the frontend (testpmd io, tx_first) has
            two net_virtio_user ports on the backend's two vhost-user ports.
  pvp       a NIC stand-in: the backend has a net_memif port (the NIC) and a
            vhost-user port (the guest); the frontend has the memif peer and
            a net_virtio_user port, io forwarding between them, so every
            frame crosses the backend NIC -> guest or guest -> NIC, as in
            PVP. Generator and guest are one testpmd process because this
            machine has one CPU for the frontend.
With --packed, the frontend's virtio-user ports use packed virtqueues
(virtio 1.1, packed_vq=1) instead of split ones; every backend serves
them with the same rte_vhost.

The frontend is testpmd in io mode on lcore 0, driven on its stdin: once
the backend has taken up the guest's queues it is told `start tx_first N`
(--bursts; N bursts of 32 frames per port in flight, as DPDK's vhost test
plans do), and `show port stats all` every second gives its rate. Frames
sent before the backend is ready would be lost for good in a closed loop.

Figures per run: the frontend's receive rate (both ports, median of its
1 s samples in the measured window), the backend's busy cycles per packet
in that window (vhostswitch: its own worker counters; testpmd:
--record-core-cycles, over its whole run; OVS: dpif-netdev/pmd-stats-show
"avg processing cycles per packet"), and the backend's busy share, which
says what limited the rate: a backend busy nearly all the time is the
bottleneck (backend-bound), otherwise the frontend is (frontend-bound).
Cycles per packet compare backends even when the frontend is the limit.

Output: one JSON per run and summary.json in a sweep directory under
--results-dir (default bench/results/TOPOLOGY[-packed]-SIZES-TIMESTAMP), a
gnuplot PNG per sweep (--plot), and `--report` writes bench/RESULTS.md from
the newest sweep of each topology, split and packed, under bench/results.
"""

import argparse
import datetime
import json
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vsbench import (MAC0, MAC1, ROOT, SWITCH, Proc, Telemetry,  # noqa: E402
                     add_c2c_args, cleanup_prefix, fast_placed, fmt_c2c, placed,
                     frontend_bytes_per_packet, frontend_rates, gnuplot,
                     lcore_costs, lcore_totals, log, start_testpmd_backend,
                     start_testpmd_frontend, start_traffic, start_vhostswitch,
                     StatsPoller,
                     testpmd_cycles_per_packet, virtio_user_vdevs, wait_for)

RESULTS = os.path.join(ROOT, "bench", "results")
ALL_BACKENDS = ("vhostswitch", "vhostswitch-xc", "testpmd", "ovs-normal", "ovs-flows")
OVS_VSWITCHD = "/usr/lib/openvswitch-switch-dpdk/ovs-vswitchd-dpdk"
OVS_SCHEMA = "/usr/share/openvswitch/vswitch.ovsschema"
# A backend busier than this share of its cycles is taken as the limit.
BOUND_SHARE = 0.90


class Interrupted(Exception):
    """SIGTERM, turned into an exception so that clean-up runs."""


def _sigterm(signum, frame):
    raise Interrupted("signal %d" % signum)


def memif_vdev(index, sock, role, mac=None):
    v = "net_memif%d,role=%s,socket=%s,socket-abstract=no" % (index, role, sock)
    return v + (",mac=" + mac if mac else "")


class Setup:
    """What one run shares between backend and frontend: a private
    directory, the sockets, the DPDK prefixes."""

    def __init__(self, topology, tag, packed=False):
        self.topology = topology
        self.packed = packed
        self.dir = tempfile.mkdtemp(prefix="vs-run-")
        self.bprefix = "vsrun-b-" + tag
        self.fprefix = "vsrun-f-" + tag
        self.vhost = [os.path.join(self.dir, "vhost0.sock"),
                      os.path.join(self.dir, "vhost1.sock")]
        self.memif = os.path.join(self.dir, "memif.sock")

    def frontend_vdevs(self, vhost_paths):
        if self.topology == "loopback":
            return virtio_user_vdevs(vhost_paths[:2], packed=self.packed)
        return [memif_vdev(0, self.memif, "client", MAC0),
                virtio_user_vdevs(vhost_paths[:1], macs=(MAC1,), packed=self.packed)[0]
                .replace("net_virtio_user0", "net_virtio_user1")]

    def ready_paths(self, vhost_paths):
        if self.topology == "loopback":
            return vhost_paths[:2]
        return [vhost_paths[0], self.memif]

    def cleanup(self):
        for pre in (self.bprefix, self.fprefix):
            cleanup_prefix(pre)
        shutil.rmtree(self.dir, ignore_errors=True)


class SwitchBackend:
    """vhostswitch, in L2 mode or cross-connected, set up by a config file."""

    def __init__(self, name, binary, xconnect, echo):
        self.name, self.binary, self.xconnect, self.echo = name, binary, xconnect, echo
        self.proc = None

    def start(self, st):
        lines = []
        if st.topology == "loopback":
            lines += ["port add vhost vhost0 socket " + st.vhost[0],
                      "port add vhost vhost1 socket " + st.vhost[1]]
            pair = ("vhost0", "vhost1")
        else:
            lines += ["port add eth nic0 dev " + memif_vdev(0, st.memif, "server"),
                      "port add vhost vhost0 socket " + st.vhost[0]]
            pair = ("nic0", "vhost0")
        if self.xconnect:
            lines.append("xconnect %s %s" % pair)
        self.config = os.path.join(st.dir, "vhostswitch.conf")
        with open(self.config, "w") as f:
            f.write("\n".join(lines) + "\n")
        self.proc = start_vhostswitch(self.binary, st.bprefix, None,
                                      os.path.join(st.dir, "ctl.sock"),
                                      config=self.config, echo=self.echo)
        self.tel = Telemetry(st.bprefix)
        self.topology = st.topology
        return st.vhost

    def wait_ready(self, timeout):
        """Both ports have their guest (the switch's port state)."""
        names = ["vhost0", "vhost1"] if self.topology == "loopback" else ["nic0", "vhost0"]

        def up():
            try:
                return all(self.tel.query("/vhostswitch/port," + n).get("state") == "up"
                           for n in names)
            except (OSError, ValueError, KeyError):
                return False
        wait_for(up, timeout, "the switch's ports")

    def commands(self):
        with open(self.config) as f:
            conf = f.read()
        return [" ".join(self.proc.argv), "# config:\n" + conf]

    def alive(self):
        return self.proc.alive()

    def begin(self):
        self.before = lcore_totals(self.tel)

    def end(self):
        after = lcore_totals(self.tel)
        res = lcore_costs(self.before, after)
        res["backend_packets"] = after.packets - self.before.packets
        res["switch_ports"] = self.port_counters()
        return res

    def diagnose(self):
        """The switch's drops, as text for a failed run's message."""
        try:
            ports = self.port_counters()
        except (OSError, ValueError, KeyError):
            return ""
        drops = ["%s %s=%d" % (n, k, v) for n, c in ports.items()
                 for k, v in c.items() if k.startswith("drop_")]
        return " (switch drops: %s)" % (", ".join(drops) or "none")

    def port_counters(self):
        ports = {}
        for n in self.tel.query("/vhostswitch/ports") or []:
            try:
                st = self.tel.query("/vhostswitch/port," + n)
            except (OSError, ValueError, KeyError):
                continue
            # Counters that moved, and the virtio features the guest got.
            ports[n] = {k: v for k, v in st.items()
                        if (k.startswith(("rx_packets", "tx_packets", "drop_")) and v)
                        or k == "features"}
        return ports

    def stop(self):
        if self.proc:
            self.proc.stop()

    def output(self):
        return self.proc.output() if self.proc else ""


class TestpmdBackend:
    """dpdk-testpmd, io forwarding between its two ports."""

    def __init__(self, echo):
        self.name, self.echo, self.proc = "testpmd", echo, None

    def start(self, st):
        if st.topology == "loopback":
            vdevs = ["net_vhost0,iface=" + st.vhost[0], "net_vhost1,iface=" + st.vhost[1]]
        else:
            vdevs = [memif_vdev(0, st.memif, "server"), "net_vhost1,iface=" + st.vhost[0]]
        self.proc = start_testpmd_backend(st.bprefix, vdevs, echo=self.echo)
        self.topology = st.topology
        return st.vhost

    def wait_ready(self, timeout):
        """Its vhost ports' guests are ready ("virtio is now ready")."""
        want = 2 if self.topology == "loopback" else 1
        wait_for(lambda: sum("now ready for processing" in x for x in self.proc.lines) >= want,
                 timeout, "testpmd's vhost ports")

    def commands(self):
        return [" ".join(self.proc.argv)]

    def alive(self):
        return self.proc.alive()

    def begin(self):
        self.t0 = time.time()

    def end(self):
        # testpmd prints its cycles only when it stops: see after_stop().
        return {}

    def after_stop(self, res):
        text = self.proc.output()
        res["busy_cycles_per_packet"] = testpmd_cycles_per_packet(text)
        res["cycles_scope"] = "whole run"
        # "(total cycles=B / total io packets=N) at F MHz Clock", B counting
        # only polls that received frames: the busy share over the time
        # frames went round (approximate: from `start tx_first` to the stop).
        m = re.search(r"total cycles=(\d+) .* at (\d+) MHz", text)
        if m and self.lifetime > 0:
            res["busy_share"] = min(1.0, int(m.group(1)) / (int(m.group(2)) * 1e6 * self.lifetime))

    def stop(self):
        if self.proc:
            self.lifetime = time.time() - getattr(self, "flowing", self.started)
            self.proc.stop()

    def output(self):
        return self.proc.output() if self.proc else ""


class OvsBackend:
    """OVS-DPDK 3.1 from Debian, started by hand under a private directory:
    ovsdb-server and ovs-vswitchd in the foreground (never via systemd),
    one netdev bridge, dpdkvhostuser ports (OVS is the vhost-user server,
    as the other backends are), the PMD thread on lcore 1."""

    def __init__(self, name, flows, echo):
        self.name, self.flows, self.echo = name, flows, echo
        self.db = self.vsd = None
        self.cmds = []

    def _env(self, st):
        env = dict(os.environ)
        for var in ("OVS_RUNDIR", "OVS_DBDIR", "OVS_LOGDIR", "OVS_SYSCONFDIR"):
            env[var] = self.dir
        env["OVS_PKGDATADIR"] = "/usr/share/openvswitch"
        return env

    def _run(self, argv):
        self.cmds.append(" ".join(argv))
        r = subprocess.run(argv, env=self.env, capture_output=True, text=True, timeout=60)
        if r.returncode != 0:
            raise RuntimeError("%s: %s" % (" ".join(argv), r.stderr.strip()))
        return r.stdout

    def vsctl(self, *args):
        return self._run(["ovs-vsctl", "--db=unix:" + self.dbsock, "--timeout=30"] + list(args))

    def appctl(self, *args):
        return self._run(["ovs-appctl", "-t", self.ctl] + list(args))

    def start(self, st):
        if not os.path.exists(OVS_VSWITCHD):
            raise RuntimeError("%s missing: apt-get install openvswitch-switch-dpdk" % OVS_VSWITCHD)
        self.dir = os.path.join(st.dir, "ovs")
        os.mkdir(self.dir)
        self.env = self._env(st)
        self.topology = st.topology
        self.dbsock = os.path.join(self.dir, "db.sock")
        self.ctl = os.path.join(self.dir, "ovs-vswitchd.ctl")
        self._run(["ovsdb-tool", "create", os.path.join(self.dir, "conf.db"), OVS_SCHEMA])
        argv = ["ovsdb-server", os.path.join(self.dir, "conf.db"),
                "--remote=punix:" + self.dbsock,
                "--unixctl=" + os.path.join(self.dir, "ovsdb-server.ctl"),
                "--pidfile=" + os.path.join(self.dir, "ovsdb-server.pid"),
                "--log-file=" + os.path.join(self.dir, "ovsdb-server.log")]
        self.cmds.append(" ".join(argv))
        self.db = Proc("ovsdb-server", argv, self.echo, env=self.env)
        wait_for(lambda: os.path.exists(self.dbsock) or not self.db.alive(), 20, "ovsdb-server")
        self.vsctl("--no-wait", "init")
        self.vsctl("--no-wait", "set", "Open_vSwitch", ".",
                   "other_config:dpdk-init=true",
                   'other_config:dpdk-extra="--file-prefix=%s --no-pci"' % st.bprefix,
                   "other_config:dpdk-socket-mem=512",
                   "other_config:pmd-cpu-mask=0x2")
        argv = [OVS_VSWITCHD, "unix:" + self.dbsock, "--unixctl=" + self.ctl,
                "--pidfile=" + os.path.join(self.dir, "ovs-vswitchd.pid"),
                "--log-file=" + os.path.join(self.dir, "ovs-vswitchd.log")]
        self.cmds.append(" ".join(argv))
        self.vsd = Proc("ovs-vswitchd", argv, self.echo, env=self.env)
        wait_for(lambda: os.path.exists(self.ctl) or not self.vsd.alive(), 60, "ovs-vswitchd")
        if not self.vsd.alive():
            raise RuntimeError("ovs-vswitchd exited:\n" + self.output())
        self.vsctl("add-br", "br0", "--", "set", "bridge", "br0", "datapath_type=netdev")
        if st.topology == "loopback":
            ports = ["vhost0", "vhost1"]
            self.vsctl("add-port", "br0", "vhost0", "--", "set", "Interface", "vhost0",
                       "type=dpdkvhostuser", "ofport_request=1")
            self.vsctl("add-port", "br0", "vhost1", "--", "set", "Interface", "vhost1",
                       "type=dpdkvhostuser", "ofport_request=2")
            paths = [os.path.join(self.dir, p) for p in ports]
        else:
            self.vsctl("add-port", "br0", "nic0", "--", "set", "Interface", "nic0",
                       "type=dpdk", "options:dpdk-devargs=" + memif_vdev(0, st.memif, "server"),
                       "ofport_request=1")
            self.vsctl("add-port", "br0", "vhost0", "--", "set", "Interface", "vhost0",
                       "type=dpdkvhostuser", "ofport_request=2")
            paths = [os.path.join(self.dir, "vhost0")]
        if self.flows:
            self._run(["ovs-ofctl", "del-flows", "br0"])
            self._run(["ovs-ofctl", "add-flow", "br0", "in_port=1,actions=output:2"])
            self._run(["ovs-ofctl", "add-flow", "br0", "in_port=2,actions=output:1"])
        return paths

    def wait_ready(self, timeout):
        """OVS has added its vhost devices ("vHost Device ... has been added")."""
        want = 2 if self.topology == "loopback" else 1

        def added():
            try:
                with open(os.path.join(self.dir, "ovs-vswitchd.log")) as f:
                    return f.read().count("has been added on numa node") >= want
            except OSError:
                return False
        wait_for(added, timeout, "OVS's vhost devices")

    def commands(self):
        return list(self.cmds)

    def alive(self):
        return self.vsd.alive() and self.db.alive()

    def begin(self):
        self.appctl("dpif-netdev/pmd-stats-clear")

    def end(self):
        text = self.appctl("dpif-netdev/pmd-stats-show")
        res = {"ovs_pmd_stats": text}
        pkts = re.search(r"packets received:\s+(\d+)", text)
        idle = re.search(r"idle cycles:\s+(\d+)", text)
        proc = re.search(r"processing cycles:\s+(\d+)", text)
        if pkts and proc and int(pkts.group(1)):
            res["busy_cycles_per_packet"] = int(proc.group(1)) / int(pkts.group(1))
            res["backend_packets"] = int(pkts.group(1))
        if idle and proc and int(idle.group(1)) + int(proc.group(1)):
            res["busy_share"] = int(proc.group(1)) / (int(idle.group(1)) + int(proc.group(1)))
        return res

    def stop(self):
        if self.vsd is not None and self.vsd.alive():
            try:
                subprocess.run(["ovs-appctl", "-t", self.ctl, "exit", "--cleanup"],
                               env=self.env, capture_output=True, timeout=20)
            except (subprocess.TimeoutExpired, OSError):
                pass
        for p in (self.vsd, self.db):
            if p is not None:
                p.stop(timeout=10, sig=signal.SIGTERM)

    def diagnose(self):
        """OVS's warnings and its ports' drop counters, for a failed run."""
        out = []
        try:
            with open(os.path.join(self.dir, "ovs-vswitchd.log")) as f:
                out += [x.strip() for x in f if "|WARN|" in x or "|ERR|" in x][-5:]
        except (OSError, AttributeError):
            pass
        try:
            out.append(self.vsctl("--columns=name,statistics", "list", "Interface").strip())
        except (RuntimeError, OSError, AttributeError, subprocess.TimeoutExpired):
            pass
        return (" (OVS: %s)" % " | ".join(out)) if out else ""

    def output(self):
        out = []
        for name in ("ovs-vswitchd.log", "ovsdb-server.log"):
            try:
                with open(os.path.join(self.dir, name)) as f:
                    out.append(f.read()[-4000:])
            except OSError:
                pass
        return "\n".join(out)


def make_backend(kind, args):
    if kind == "vhostswitch":
        return SwitchBackend(kind, args.switch, False, args.echo)
    if kind == "vhostswitch-xc":
        return SwitchBackend(kind, args.switch, True, args.echo)
    if kind == "testpmd":
        return TestpmdBackend(args.echo)
    if kind in ("ovs-normal", "ovs-flows"):
        return OvsBackend(kind, kind == "ovs-flows", args.echo)
    if "=" in kind:
        name, path = kind.split("=", 1)
        return SwitchBackend(name, path, False, args.echo)
    raise SystemExit("unknown backend %r (known: %s, NAME=PATH)" % (kind, ", ".join(ALL_BACKENDS)))


def virtqueues(args):
    return "packed" if args.packed else "split"


def run_one(kind, size, args):
    """One backend, one frame size, one measured window: a result dict."""
    tag = "%d-%d" % (os.getpid(), int(time.time() * 1000) % 1000000)
    st = Setup(args.topology, tag, args.packed)
    backend = make_backend(kind, args)
    frontend = poller = None
    res = {"backend": backend.name, "size": str(size), "topology": args.topology,
           "virtqueues": virtqueues(args), "duration": args.duration, "warmup": args.warmup}
    try:
        backend.started = time.time()
        paths = backend.start(st)
        ready = st.ready_paths(paths)
        wait_for(lambda: all(os.path.exists(p) for p in ready) or not backend.alive(),
                 60, "the backend's sockets")
        if not backend.alive():
            raise RuntimeError("%s exited:\n%s" % (kind, backend.output()))
        frontend = start_testpmd_frontend(st.fprefix, st.frontend_vdevs(paths), size=size,
                                          interactive=True, fcs=True)
        # A command typed ahead is answered once testpmd has started its
        # ports (its prompt ends no line, so it cannot be waited for).
        frontend.send("show port summary all")
        wait_for(lambda: any("Number of available ports" in x for x in frontend.lines)
                 or not frontend.alive(), 30, "the frontend's ports")
        if not frontend.alive():
            raise RuntimeError("frontend exited:\n" + frontend.output()[-4000:])
        # Frames sent before the backend has taken the guest's queues in
        # use are dropped, and a closed loop never gets them back: let the
        # backend see the frontend first.
        try:
            backend.wait_ready(20)
        except RuntimeError:
            pass    # a sign of readiness worded otherwise: the settle time covers it
        time.sleep(args.settle)
        start_traffic(frontend, size, args.bursts)
        backend.flowing = time.time()
        poller = StatsPoller(frontend)
        # Start-up takes seconds on a loaded machine: the warm-up counts from
        # the first second in which frames went round.
        wait_for(lambda: any(frontend_rates(frontend.lines)) or not frontend.alive()
                 or not backend.alive(), 20, "frames going round")
        if not frontend.alive():
            raise RuntimeError("frontend exited:\n" + frontend.output()[-4000:])
        time.sleep(args.warmup)
        backend.begin()
        n0 = len(frontend_rates(frontend.lines))
        time.sleep(args.duration)
        # testpmd prints a sample a second: a short window waits for its own.
        want = n0 + max(1, int(args.duration))
        wait_for(lambda: len(frontend_rates(frontend.lines)) >= want or not frontend.alive(),
                 10, "the frontend's samples")
        res.update(backend.end())
        all_rates = frontend_rates(frontend.lines)
        rates = all_rates[n0:]
        res["frontend_bytes_per_packet"] = frontend_bytes_per_packet(frontend.lines, first=n0)
        if not frontend.alive():
            raise RuntimeError("frontend exited:\n" + frontend.output()[-4000:])
        if not backend.alive():
            raise RuntimeError("%s exited:\n%s" % (kind, backend.output()[-4000:]))
        res["commands"] = {"backend": backend.commands(),
                           "frontend": " ".join(frontend.argv) +
                           ("\n# then: set txsplit rand" if size == "imix" else "") +
                           "\n# then: start tx_first %d; show port stats all, every second"
                           % args.bursts}
        poller.stop()
        frontend.stop()
        frontend = None
        backend.stop()
        if hasattr(backend, "after_stop"):
            backend.after_stop(res)
        if not rates:
            raise RuntimeError("no frontend samples in the window")
        res["samples_pps"] = rates
        res["all_samples_pps"] = all_rates
        res["frontend_rx_pps"] = statistics.median(rates)
        share = res.get("busy_share")
        res["limited_by"] = (None if share is None else
                             "backend" if share >= BOUND_SHARE else "frontend")
        return res
    except RuntimeError as e:
        # Say what the backend counted and the frontend said: a timeout
        # alone explains nothing.
        diag = backend.diagnose() if hasattr(backend, "diagnose") else ""
        if frontend is not None:
            raise RuntimeError("%s%s\nfrontend output:\n%s"
                               % (e, diag, frontend.output()[-3000:]))
        raise
    finally:
        if poller is not None:
            poller.stop()
        if frontend is not None:
            frontend.stop()
        backend.stop()
        st.cleanup()


def spread(vals):
    vals = [v for v in vals if v is not None]
    if not vals:
        return None
    return {"median": statistics.median(vals), "min": min(vals), "max": max(vals), "n": len(vals)}


# A run whose frontend got less than this went round in fits: the shared
# machine took the frontend's or the backend's CPU for seconds (its
# 1 s samples drop to a few thousand for every backend alike). It is kept
# and counted, not hidden.
STALLED_PPS = 100000


def limit(run):
    """What limited a run: backend, frontend, or stalled."""
    if run.get("frontend_rx_pps", 0) < STALLED_PPS:
        return "stalled"
    return run.get("limited_by") or "?"


def summarize(runs, backends, sizes, rounds):
    """Medians and min-max per (size, backend); ratios to the baseline
    (testpmd when it ran, else the last backend) taken within each round.
    Where the runs recorded the CPUs' round trip, the same again over the
    fast-placed runs only ("fast"), ratios from rounds where both were."""
    names = list(dict.fromkeys(r["backend"] for r in runs))
    order = [b for b in backends if b in names] + [b for b in names if b not in backends]
    base = "testpmd" if "testpmd" in order else order[-1]
    out = {"baseline": base, "sizes": {}}
    for size in sizes:
        per = {}
        for b in order:
            mine = [r for r in runs if r["size"] == size and r["backend"] == b and "error" not in r]
            ent = {"mpps": spread([r["frontend_rx_pps"] / 1e6 for r in mine]),
                   "cycles_per_packet": spread([r.get("busy_cycles_per_packet") for r in mine]),
                   "busy_share": spread([r.get("busy_share") for r in mine]),
                   "bytes_per_packet": spread([r.get("frontend_bytes_per_packet") for r in mine]),
                   "limited_by": sorted(set(limit(r) for r in mine)),
                   "limited_counts": {k: [limit(r) for r in mine].count(k)
                                      for k in sorted(set(limit(r) for r in mine))},
                   "errors": len([r for r in runs if r["size"] == size and r["backend"] == b
                                  and "error" in r])}
            fm = [r for r in mine if fast_placed(r)]
            if any(r.get("c2c_rtt_ns") is not None for r in mine):
                ent["fast"] = {"runs": len(fm),
                               "mpps": spread([r["frontend_rx_pps"] / 1e6 for r in fm]),
                               "cycles_per_packet": spread([r.get("busy_cycles_per_packet")
                                                            for r in fm])}
            if b != base:
                rr, cr, frr, fcr = [], [], [], []
                for rnd in range(1, rounds + 1):
                    a = [r for r in mine if r["round"] == rnd]
                    z = [r for r in runs if r["round"] == rnd and r["size"] == size
                         and r["backend"] == base and "error" not in r]
                    if a and z:
                        both = fast_placed(a[0]) and fast_placed(z[0])
                        rr.append(a[0]["frontend_rx_pps"] / z[0]["frontend_rx_pps"])
                        if both:
                            frr.append(rr[-1])
                        ca, cz = a[0].get("busy_cycles_per_packet"), z[0].get("busy_cycles_per_packet")
                        if ca and cz:
                            cr.append(ca / cz)
                            if both:
                                fcr.append(cr[-1])
                ent["mpps_ratio"] = spread(rr)
                ent["mpps_ratios"] = rr
                ent["cycles_ratio"] = spread(cr)
                ent["cycles_ratios"] = cr
                if "fast" in ent:
                    ent["fast"].update(mpps_ratio=spread(frr), mpps_ratios=frr,
                                       cycles_ratio=spread(fcr), cycles_ratios=fcr)
            per[b] = ent
        out["sizes"][size] = per
    return out


def machine():
    def sh(cmd):
        try:
            return subprocess.run(cmd, shell=True, capture_output=True, text=True,
                                  timeout=10).stdout.strip()
        except (subprocess.TimeoutExpired, OSError):
            return ""
    return {"cpu": sh("lscpu | sed -n 's/^Model name: *//p'"),
            "cpus": os.cpu_count(),
            "kernel": platform.release(),
            "os": sh(". /etc/os-release && echo $PRETTY_NAME"),
            "dpdk": sh("pkg-config --modversion libdpdk"),
            "ovs": sh("ovs-vsctl --version | head -1"),
            "load_before": os.getloadavg(),
            "host": platform.node()}


def fmt_spread(s, spec="%.3f"):
    if not s:
        return "-"
    if s["n"] == 1:
        return spec % s["median"]
    return (spec + " (" + spec + "-" + spec + ")") % (s["median"], s["min"], s["max"])


def print_summary(summary, log=log):
    base = summary["baseline"]
    for size, per in summary["sizes"].items():
        log("\nsize %s" % size)
        log("%-16s %26s %24s %18s %12s %s" % ("backend", "Mpps median (min-max)",
                                             "cycles/pkt", "ratio Mpps/" + base,
                                             "ratio cyc", "limited by"))
        for b, e in per.items():
            log("%-16s %26s %24s %18s %12s %s" % (
                b, fmt_spread(e["mpps"]), fmt_spread(e["cycles_per_packet"], "%.0f"),
                fmt_spread(e.get("mpps_ratio"), "%.2f") if b != base else "1",
                fmt_spread(e.get("cycles_ratio"), "%.2f") if b != base else "1",
                ",".join(e["limited_by"])))


def plot(sweep_dir, summary, title):
    """A PNG of the sweep: median Mpps and cycles/packet per size and
    backend, min-max as error bars. Needs gnuplot (gnuplot-nox)."""
    backends = list(next(iter(summary["sizes"].values())).keys())
    dat = os.path.join(sweep_dir, "plot.dat")
    with open(dat, "w") as f:
        f.write("# size " + " ".join("%s_mpps %s_min %s_max %s_cyc %s_cmin %s_cmax"
                                     % ((b,) * 6) for b in backends) + "\n")
        for size, per in summary["sizes"].items():
            row = [size]
            for b in backends:
                m, c = per[b]["mpps"], per[b]["cycles_per_packet"]
                row += (["%g" % m[k] for k in ("median", "min", "max")] if m else ["0"] * 3)
                row += (["%g" % c[k] for k in ("median", "min", "max")] if c else ["0"] * 3)
            f.write(" ".join(row) + "\n")

    def series(offset):
        return ", ".join("'%s' using %d:%d:%d:xtic(1) title '%s'"
                         % ("plot.dat", 2 + 6 * i + offset, 3 + 6 * i + offset,
                            4 + 6 * i + offset, b) for i, b in enumerate(backends))
    script = """set terminal pngcairo size 1100,800 noenhanced
set output 'plot.png'
set multiplot layout 2,1 title '%s'
set style data histograms
set style histogram errorbars gap 2 lw 1
set style fill solid 0.6 border -1
set key outside right top
set grid ytics
set yrange [0:*]
set ylabel 'frontend Mpps (median, min-max)'
plot %s
set ylabel 'busy cycles per packet at the switch (log)'
set xlabel 'frame size (bytes)'
set logscale y
set yrange [*:*]
plot %s
unset multiplot
""" % (title, series(0), series(3))
    return gnuplot(sweep_dir, "plot", script)


def sweep(args):
    backends = args.backends.split(",")
    sizes = [s.strip() for s in args.sizes.split(",")]
    stamp = datetime.datetime.utcnow().strftime("%Y%m%dT%H%M%SZ")
    sweep_dir = args.results_dir or os.path.join(
        RESULTS, "%s%s-%s-%s" % (args.topology, "-packed" if args.packed else "",
                                 "-".join(sizes), stamp))
    os.makedirs(os.path.join(sweep_dir, "runs"), exist_ok=True)
    info = {"started": stamp, "argv": ["bench/run.py"] + sys.argv[1:],
            "topology": args.topology, "virtqueues": virtqueues(args), "backends": backends,
            "sizes": sizes, "rounds": args.rounds, "duration": args.duration, "warmup": args.warmup,
            "bursts": args.bursts,
            "machine": machine()}
    runs = []
    failed = 0
    for size in sizes:
        for rnd in range(1, args.rounds + 1):
            for kind in backends:
                def attempt():
                    t0 = time.time()
                    try:
                        res = run_one(kind, size, args)
                    except (RuntimeError, OSError, subprocess.TimeoutExpired) as e:
                        res = {"backend": make_backend(kind, args).name, "size": size,
                               "topology": args.topology, "error": str(e)[-6000:]}
                        log("round %d size %s %-15s FAILED: %s"
                            % (rnd, size, res["backend"],
                               str(e).splitlines()[0] if str(e) else e))
                    res["round"] = rnd
                    res["time"] = t0
                    return res
                res = placed(args, attempt, "round %d size %s %s" % (rnd, size, kind))
                failed += "error" in res
                runs.append(res)
                with open(os.path.join(sweep_dir, "runs", "%s-r%d-%s.json"
                                       % (size, rnd, res["backend"])), "w") as f:
                    json.dump(res, f, indent=1)
                if "error" not in res:
                    cyc = res.get("busy_cycles_per_packet")
                    log("round %d size %-4s %-15s frontend %7.3f Mpps   %s cycles/pkt   "
                        "busy %s   %s-bound   c2c %s ns" % (
                            rnd, size, res["backend"], res["frontend_rx_pps"] / 1e6,
                            "%.1f" % cyc if cyc else "-",
                            "%.0f%%" % (100 * res["busy_share"]) if res.get("busy_share") is not None else "-",
                            res["limited_by"] or "?", fmt_c2c(res)))
    names = [make_backend(k, args).name for k in backends]
    summary = summarize(runs, names, sizes, args.rounds)
    info["finished"] = datetime.datetime.utcnow().strftime("%Y%m%dT%H%M%SZ")
    info["load_after"] = os.getloadavg()
    with open(os.path.join(sweep_dir, "summary.json"), "w") as f:
        json.dump({"info": info, "summary": summary, "runs": runs}, f, indent=1)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"info": info, "summary": summary, "runs": runs}, f, indent=1)
    print_summary(summary)
    if args.plot:
        png = plot(sweep_dir, summary, "%s, %s" % (args.topology, stamp))
        if png:
            log("plot: " + png)
    log("results: " + sweep_dir)
    return 1 if failed else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog=__doc__.split("\n", 2)[2])
    ap.add_argument("--switch", default=SWITCH, help="vhostswitch binary (default: build/vhostswitch)")
    ap.add_argument("--backends", default=",".join(ALL_BACKENDS),
                    help="comma-separated, alternated in this order every round")
    ap.add_argument("--topology", choices=("loopback", "pvp"), default="loopback")
    ap.add_argument("--packed", action="store_true",
                    help="the frontend's virtqueues packed (virtio 1.1, packed_vq=1), "
                    "not split")
    ap.add_argument("--sizes", default="64,256,1518,imix",
                    help="frame sizes in bytes with the FCS, as RFC 2544 counts them "
                    "(testpmd builds them 4 bytes shorter), or imix (64/594/1518 at 7:4:1)")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--duration", type=float, default=10, help="measured seconds per run")
    ap.add_argument("--warmup", type=float, default=3, help="seconds before measuring")
    ap.add_argument("--bursts", type=int, default=8,
                    help="bursts of 32 frames per frontend port put in flight (start tx_first N)")
    ap.add_argument("--settle", type=float, default=1,
                    help="seconds between the backend seeing the frontend and the first frame")
    ap.add_argument("--results-dir", help="this sweep's directory (default: a new one "
                    "under bench/results)")
    ap.add_argument("--json", help="also write the sweep's summary and runs to this file")
    ap.add_argument("--plot", action="store_true", help="draw plot.png with gnuplot")
    add_c2c_args(ap, retries=True)
    ap.add_argument("--echo", action="store_true", help="show the backends' output")
    ap.add_argument("--report", action="store_true",
                    help="write bench/RESULTS.md from the newest sweep of each topology "
                    "under bench/results, and run nothing")
    args = ap.parse_args()
    if args.report:
        import report
        return report.write(RESULTS, os.path.join(ROOT, "bench", "RESULTS.md"))
    # Whoever stops the runner, the processes it started stop too: SIGINT
    # even when the shell that started it in the background ignored it.
    signal.signal(signal.SIGTERM, _sigterm)
    signal.signal(signal.SIGHUP, _sigterm)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        return sweep(args)
    except (KeyboardInterrupt, Interrupted):
        log("interrupted: every process stopped, every directory removed")
        return 130


if __name__ == "__main__":
    sys.exit(main())
