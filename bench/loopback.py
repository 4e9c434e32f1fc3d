#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""The reference loopback of DESIGN.md, against vhostswitch and baselines.

Topology: a backend (the switch under test) on lcore 1 with two vhost-user
server ports; DPDK's testpmd on lcore 0 as the frontend with two
net_virtio_user ports in io mode, started with --tx-first, eth-peer MACs set
crosswise so a learning switch sees each MAC on one port only. Packets then
circulate: frontend port 0 -> backend -> frontend port 1 -> backend -> ...

Backends:
  vhostswitch  the switch, L2 learning mode
  testpmd      dpdk-testpmd with two net_vhost ports in io mode: the
               no-lookup floor of rte_vhost
  NAME=PATH    another vhostswitch binary (an older build, say), reported
               as NAME: compares two versions in the same sitting

Rounds alternate the backends (A B A B ...) because these machines are
shared and noisy; the summary reports medians and, for every backend, its
ratio to the last one listed (the baseline) round by round, not a ratio of
medians.

Reported per run: frontend Rx rate (sum of both ports, median of the 1 s
samples in the window) and backend busy cycles per packet (the switch's own
counter; testpmd's --record-core-cycles).
"""

import argparse
import json
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

MAC0 = "02:00:00:00:00:01"
MAC1 = "02:00:00:00:00:02"
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def log(msg):
    print(msg, flush=True)


def remove_hugepage_files(prefix):
    """A DPDK process that died leaves <prefix>map_* files holding pages."""
    try:
        names = os.listdir("/dev/hugepages")
    except OSError:
        return
    for name in names:
        if name.startswith(prefix + "map_"):
            path = os.path.join("/dev/hugepages", name)
            if subprocess.call(["fuser", "-s", path], stderr=subprocess.DEVNULL) != 0:
                try:
                    os.unlink(path)
                except OSError:
                    pass


class Telemetry:
    """A client of DPDK's telemetry socket (JSON over SOCK_SEQPACKET)."""

    def __init__(self, prefix):
        self.path = "/var/run/dpdk/%s/dpdk_telemetry.v2" % prefix

    def query(self, cmd):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            s.connect(self.path)
            s.recv(1 << 16)
            s.send(cmd.encode())
            reply = json.loads(s.recv(1 << 20).decode())
        finally:
            s.close()
        return reply[cmd.split(",")[0]]


class Proc:
    """A child process whose output is collected by a thread, line by line."""

    def __init__(self, name, argv, echo=False):
        self.name = name
        self.lines = []
        self.echo = echo
        self.p = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                                  stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, text=True,
                                  start_new_session=True)
        self.t = threading.Thread(target=self._read, daemon=True)
        self.t.start()

    def _read(self):
        for line in self.p.stdout:
            self.lines.append(line.rstrip("\n"))
            if self.echo:
                print(line, end="", flush=True)

    def alive(self):
        return self.p.poll() is None

    def stop(self, timeout=15):
        if self.alive():
            self.p.send_signal(signal.SIGINT)
            try:
                self.p.wait(timeout)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait()
        self.t.join(5)
        return self.p.returncode

    def output(self):
        return "\n".join(self.lines)


def wait_for(cond, timeout, what):
    end = time.time() + timeout
    while time.time() < end:
        if cond():
            return
        time.sleep(0.05)
    raise RuntimeError("timed out waiting for " + what)


def switch_binary(kind, args):
    """The vhostswitch binary a backend runs, or None for testpmd."""
    if kind == "vhostswitch":
        return args.switch
    if "=" in kind:
        return kind.split("=", 1)[1]
    return None


def start_backend(kind, args, socks, prefix, echo, ctl):
    binary = switch_binary(kind, args)
    if binary is not None:
        argv = [binary, "-l", "0,1", "--main-lcore", "0", "--no-pci",
                "--file-prefix", prefix, "--", "--ctl-socket", ctl]
        if socks is not None:
            argv += ["--vhost", "vhost0=" + socks[0], "--vhost", "vhost1=" + socks[1]]
        argv += ["--stats-interval", str(args.stats_interval)]
    elif kind == "testpmd":
        argv = ["dpdk-testpmd", "-l", "0,1", "--main-lcore", "0", "--no-pci",
                "--file-prefix", prefix,
                "--vdev", "net_vhost0,iface=%s" % socks[0],
                "--vdev", "net_vhost1,iface=%s" % socks[1], "--",
                "--no-mlockall", "--forward-mode=io", "--record-core-cycles",
                "--total-num-mbufs=16384", "--stats-period", "3600"]
    else:
        raise ValueError(kind)
    return Proc(kind, argv, echo)


def start_frontend(args, socks, prefix):
    argv = ["dpdk-testpmd", "-l", "0,1", "--main-lcore", "1", "--no-pci",
            "--single-file-segments", "--file-prefix", prefix,
            "--vdev", "net_virtio_user0,path=%s,mac=%s" % (socks[0], MAC0),
            "--vdev", "net_virtio_user1,path=%s,mac=%s" % (socks[1], MAC1),
            "--", "--no-mlockall", "--forward-mode=io", "--tx-first",
            "--stats-period", "1", "--total-num-mbufs=16384",
            "--txpkts=%d" % args.size,
            "--eth-peer=0,%s" % MAC1, "--eth-peer=1,%s" % MAC0]
    return Proc("frontend", argv)


RX_PPS = re.compile(r"Rx-pps:\s+(\d+)")


def frontend_rates(lines):
    """Per-period total Rx pps: testpmd prints one Rx-pps line per port."""
    vals = [int(m.group(1)) for m in map(RX_PPS.search, lines) if m]
    return [vals[i] + vals[i + 1] for i in range(0, len(vals) - 1, 2)]


def lcore_totals(tel):
    busy = idle = pkts = 0
    for st in tel.query("/vhostswitch/lcores").values():
        busy += st["busy_cycles"]
        idle += st["idle_cycles"]
        pkts += st["packets"]
    return busy, idle, pkts


def run_one(kind, args, echo=False):
    tag = "%d-%d" % (os.getpid(), int(time.time() * 1000) % 100000)
    bprefix, fprefix = "lb-b-" + tag, "lb-f-" + tag
    tmp = None
    if args.default_ports and switch_binary(kind, args) is not None:
        socks = None
        paths = ["/run/vhostswitch/vhost0.sock", "/run/vhostswitch/vhost1.sock"]
    else:
        tmp = tempfile.mkdtemp(prefix="vs-loopback-")
        paths = socks = [os.path.join(tmp, "vhost0.sock"), os.path.join(tmp, "vhost1.sock")]
    backend = frontend = None
    result = {"backend": kind.split("=", 1)[0], "size": args.size}
    ctl_dir = tempfile.mkdtemp(prefix="vs-loopback-ctl-")
    try:
        backend = start_backend(kind, args, socks, bprefix, echo,
                                os.path.join(ctl_dir, "ctl.sock"))
        wait_for(lambda: all(os.path.exists(p) for p in paths) or not backend.alive(),
                 20, "the backend's sockets")
        if not backend.alive():
            raise RuntimeError("%s exited:\n%s" % (kind, backend.output()))
        frontend = start_frontend(args, paths, fprefix)
        time.sleep(args.warmup)
        tel = Telemetry(bprefix) if switch_binary(kind, args) is not None else None
        before = lcore_totals(tel) if tel else None
        n0 = len(frontend_rates(frontend.lines))
        time.sleep(args.duration)
        rates = frontend_rates(frontend.lines)[n0:]
        after = lcore_totals(tel) if tel else None
        if not frontend.alive():
            raise RuntimeError("frontend exited:\n" + frontend.output())
        frontend.stop()
        backend.stop()
        if not rates:
            raise RuntimeError("no frontend samples:\n" + frontend.output())
        result["frontend_rx_pps"] = statistics.median(rates)
        result["samples"] = rates
        if tel:
            dbusy, didle, dpkts = (a - b for a, b in zip(after, before))
            result["busy_cycles_per_packet"] = dbusy / dpkts if dpkts else None
            result["busy_share"] = dbusy / (dbusy + didle) if dbusy + didle else None
        else:
            m = re.search(r"CPU cycles/packet=([\d.]+)", backend.output())
            result["busy_cycles_per_packet"] = float(m.group(1)) if m else None
        return result
    finally:
        for p in (frontend, backend):
            if p is not None:
                p.stop()
        for pre in (bprefix, fprefix):
            remove_hugepage_files(pre)
            subprocess.call(["rm", "-rf", "/var/run/dpdk/" + pre])
        for d in (tmp, ctl_dir):
            if d:
                subprocess.call(["rm", "-rf", d])


def fmt(v, scale=1.0, spec="%.2f"):
    return "-" if v is None else spec % (v / scale)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--switch", default=os.path.join(ROOT, "build", "vhostswitch"),
                    help="vhostswitch binary (default: build/vhostswitch)")
    ap.add_argument("--backends", default="vhostswitch,testpmd",
                    help="comma-separated, alternated each round")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--duration", type=float, default=5, help="measured seconds per run")
    ap.add_argument("--warmup", type=float, default=3, help="seconds before measuring")
    ap.add_argument("--size", type=int, default=64, help="frame size in bytes")
    ap.add_argument("--json", help="write all runs to this file")
    ap.add_argument("--default-ports", action="store_true",
                    help="run vhostswitch on its embedded default ports")
    ap.add_argument("--stats-interval", type=int, default=0,
                    help="vhostswitch's --stats-interval")
    ap.add_argument("--echo", action="store_true",
                    help="show the switch's own output as it runs")
    args = ap.parse_args()

    backends = args.backends.split(",")
    labels = [k.split("=", 1)[0] for k in backends]
    runs = []
    for r in range(args.rounds):
        for kind, label in zip(backends, labels):
            res = run_one(kind, args, echo=args.echo)
            res["round"] = r + 1
            runs.append(res)
            log("round %d  %-12s frontend Rx %7.3f Mpps   backend %s busy cycles/packet"
                % (r + 1, label, res["frontend_rx_pps"] / 1e6,
                   fmt(res["busy_cycles_per_packet"], spec="%.1f")))

    log("\n%-12s %10s %10s %10s %12s" % ("backend", "median", "min", "max", "cycles/pkt"))
    for label in labels:
        mine = [x for x in runs if x["backend"] == label]
        mpps = [x["frontend_rx_pps"] / 1e6 for x in mine]
        cyc = [x["busy_cycles_per_packet"] for x in mine if x["busy_cycles_per_packet"]]
        log("%-12s %10.3f %10.3f %10.3f %12s" % (
            label, statistics.median(mpps), min(mpps), max(mpps),
            fmt(statistics.median(cyc) if cyc else None, spec="%.1f")))
    # Every backend against the last one listed (the baseline), round by round.
    base = labels[-1]
    for a in labels[:-1]:
        ratios, cratios = [], []
        for r in range(1, args.rounds + 1):
            ra = [x for x in runs if x["round"] == r and x["backend"] == a][0]
            rb = [x for x in runs if x["round"] == r and x["backend"] == base][0]
            ratios.append(ra["frontend_rx_pps"] / rb["frontend_rx_pps"])
            if ra["busy_cycles_per_packet"] and rb["busy_cycles_per_packet"]:
                cratios.append(ra["busy_cycles_per_packet"] / rb["busy_cycles_per_packet"])
        log("\n%s / %s frontend Rx-pps, per round: %s  median %.3f"
            % (a, base, " ".join("%.3f" % x for x in ratios), statistics.median(ratios)))
        if cratios:
            log("%s / %s busy cycles per packet, per round: %s  median %.3f"
                % (a, base, " ".join("%.3f" % x for x in cratios), statistics.median(cratios)))
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"size": args.size, "duration": args.duration, "runs": runs}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
