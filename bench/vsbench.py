# SPDX-License-Identifier: BSD-3-Clause
"""Building blocks of vhostswitch's benchmarks (loopback.py, run.py and others).

Everything here starts, watches and stops DPDK processes on one machine,
and reads their figures; nothing here decides what a benchmark measures.
The API is meant to stay stable for other scripts in bench/: names are only
added, never renamed, and a keyword argument added later always has a default
that keeps the old behaviour.

Processes and clean-up:
  Proc(name, argv, echo=False)      a child process, its output collected
  wait_for(cond, timeout, what)     poll cond() until true or raise
  remove_hugepage_files(prefix)     the <prefix>map_* files no process maps
  cleanup_prefix(prefix)            those files and /var/run/dpdk/<prefix>

Backends (lcore 1 polls; lcore 0 is the main lcore):
  start_vhostswitch(binary, prefix, socks, ctl, ...)
  start_testpmd_backend(prefix, vdevs, ...)
  net_vhost_vdevs(socks, client=False)

Frontend (testpmd io --tx-first on lcore 0):
  start_frontend(socks, prefix, ...)   two net_virtio_user ports (loopback)
  start_testpmd_frontend(prefix, vdevs, ...)   any vdevs; interactive=True
                                    waits for start_traffic(frontend, ...)
  StatsPoller(frontend)             samples an interactive one every second
  virtio_user_vdevs(socks, macs, server=False, packed=False)

Figures:
  Telemetry(prefix).query(cmd)      DPDK telemetry (JSON)
  lcore_totals(tel)                 vhostswitch workers: busy, idle, work, packets
  lcore_costs(before, after)        cycles per packet and busy share between two totals
  placed(args, fn)                  fn() between two CPU round-trip measures, repeated
                                    while slow-placed (--c2c-max, --c2c-retries)
  frontend_rates(lines)             testpmd's per-period total Rx pps
  frontend_bytes_per_packet(lines)  mean frame size seen by the frontend
  testpmd_cycles_per_packet(text)   testpmd --record-core-cycles at exit
  imix_txpkts(cmdfile)              testpmd arguments for the IMIX mix
"""

import collections
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time

MAC0 = "02:00:00:00:00:01"
MAC1 = "02:00:00:00:00:02"
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SWITCH = os.path.join(ROOT, "build", "vhostswitch")
C2C = os.path.join(ROOT, "build", "bench", "vs-c2c")
HUGEPAGES = "/dev/hugepages"

# The simple IMIX (64, 594 and 1518 bytes, 7:4:1) as frames circulating in
# a closed loop: with `set txsplit rand`, testpmd's txonly engine (which
# --tx-first uses) builds each frame from the first 1 to 12 of these
# segments, drawn uniformly, so 7 in 12 are 64 bytes, 4 in 12 are 594, 1 in
# 12 is 1518. Zero-length segments carry nothing. In a loop the mix is what
# the first bursts drew, so the mean is measured from the frontend's byte
# counters (frontend_bytes_per_packet) rather than assumed.
IMIX_SEGMENTS = (64, 0, 0, 0, 0, 0, 0, 530, 0, 0, 0, 924)


def log(msg):
    """Print one line at once (the output is often piped)."""
    print(msg, flush=True)


def remove_hugepage_files(prefix):
    """Remove <prefix>map_* files in /dev/hugepages that no process maps.

    A DPDK process that died (or was killed) leaves them, holding pages.
    """
    try:
        names = os.listdir(HUGEPAGES)
    except OSError:
        return
    for name in names:
        if name.startswith(prefix + "map_"):
            path = os.path.join(HUGEPAGES, name)
            if subprocess.call(["fuser", "-s", path], stderr=subprocess.DEVNULL) != 0:
                try:
                    os.unlink(path)
                except OSError:
                    pass


def cleanup_prefix(prefix):
    """Everything a stopped DPDK process with this --file-prefix left."""
    remove_hugepage_files(prefix)
    subprocess.call(["rm", "-rf", "/var/run/dpdk/" + prefix, imix_cmdfile(prefix)])


class Telemetry:
    """A client of DPDK's telemetry socket (JSON over SOCK_SEQPACKET).

    query("/vhostswitch/lcores") returns the value under the command's name.
    """

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
    """A child process whose output is collected by a thread, line by line.

    It runs in its own session (so a Ctrl-C at the terminal reaches only the
    benchmark, which then stops it). lines holds stdout and stderr merged;
    echo=True also prints them as they come. env, when given, replaces the
    environment. stdin=True gives it a pipe that send() writes lines to.
    """

    def __init__(self, name, argv, echo=False, env=None, stdin=False):
        self.name = name
        self.argv = list(argv)
        self.lines = []
        self.echo = echo
        self.p = subprocess.Popen(argv,
                                  stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
                                  stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, text=True,
                                  start_new_session=True, env=env)
        self.t = threading.Thread(target=self._read, daemon=True)
        self.t.start()

    def _read(self):
        for line in self.p.stdout:
            self.lines.append(line.rstrip("\n"))
            if self.echo:
                print(line, end="", flush=True)

    def alive(self):
        return self.p.poll() is None

    def send(self, line):
        """Write one line to its stdin (only for stdin=True); False when the
        process has gone."""
        try:
            self.p.stdin.write(line + "\n")
            self.p.stdin.flush()
            return True
        except (OSError, ValueError):
            return False

    def stop(self, timeout=15, sig=signal.SIGINT):
        """Signal (SIGINT by default), wait, then kill; returns the status."""
        if self.alive():
            self.p.send_signal(sig)
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
    """Poll cond() every 50 ms; RuntimeError naming what after timeout s."""
    end = time.time() + timeout
    while time.time() < end:
        if cond():
            return
        time.sleep(0.05)
    raise RuntimeError("timed out waiting for " + what)


def start_vhostswitch(binary, prefix, socks, ctl, stats_interval=0, config=None,
                      echo=False, lcores="0,1", extra=()):
    """vhostswitch with its worker on lcore 1 (main lcore 0).

    socks: two vhost-user server socket paths (ports vhost0, vhost1), or None
    for the switch's embedded default ports (or only what config sets up).
    config: a start-up config file (`port add ...`, `xconnect A B`); the
    switch runs it before the ports of socks are added, so a config that
    cross-connects ports adds them itself (and socks is then None).
    extra: more of the switch's own options (for example --fdb-size N).
    """
    main = lcores.split(",")[0]
    argv = [binary, "-l", lcores, "--main-lcore", main, "--no-pci",
            "--file-prefix", prefix, "--", "--ctl-socket", ctl]
    if socks is not None:
        argv += ["--vhost", "vhost0=" + socks[0], "--vhost", "vhost1=" + socks[1]]
    if config is not None:
        argv += ["--config", config]
    argv += ["--stats-interval", str(stats_interval)] + list(extra)
    return Proc("vhostswitch", argv, echo)


def net_vhost_vdevs(socks, client=False):
    """net_vhost vdev strings, one per socket (client=1 when client)."""
    return ["net_vhost%d,iface=%s%s" % (i, s, ",client=1" if client else "")
            for i, s in enumerate(socks)]


def start_testpmd_backend(prefix, vdevs, echo=False, mbufs=16384):
    """dpdk-testpmd forwarding in io mode on lcore 1, with core cycles
    recorded (testpmd_cycles_per_packet() reads them from its output)."""
    argv = ["dpdk-testpmd", "-l", "0,1", "--main-lcore", "0", "--no-pci",
            "--file-prefix", prefix]
    for v in vdevs:
        argv += ["--vdev", v]
    argv += ["--", "--no-mlockall", "--forward-mode=io", "--record-core-cycles",
             "--total-num-mbufs=%d" % mbufs, "--stats-period", "3600"]
    return Proc("testpmd", argv, echo)


def virtio_user_vdevs(socks, macs=(MAC0, MAC1), server=False, packed=False):
    """net_virtio_user vdev strings (server=1: the frontend owns the socket;
    packed: virtio 1.1 packed virtqueues instead of split ones)."""
    return ["net_virtio_user%d,path=%s,mac=%s%s%s"
            % (i, s, m, ",server=1" if server else "",
               ",packed_vq=1" if packed else "")
            for i, (s, m) in enumerate(zip(socks, macs))]


def imix_cmdfile(prefix):
    """Where a frontend with this prefix keeps its start-up commands."""
    return os.path.join(tempfile.gettempdir(), prefix + "-testpmd.cmd")


def imix_txpkts(cmdfile, segments=IMIX_SEGMENTS):
    """testpmd arguments that make --tx-first send the IMIX mix; cmdfile is
    a path this writes testpmd's start-up commands to (`set txsplit rand`)."""
    with open(cmdfile, "w") as f:
        f.write("set txsplit rand\n")
    return ["--txpkts=" + ",".join(str(s) for s in segments),
            "--cmdline-file=" + cmdfile]


def start_testpmd_frontend(prefix, vdevs, size=64, peers=(MAC1, MAC0),
                           echo=False, extra=(), mbufs=16384, interactive=False,
                           fcs=False):
    """testpmd io --tx-first on lcore 0, printing stats every second.

    size: frame size in bytes, or "imix". peers: eth-peer MAC of each port
    (crosswise by default, so a learning switch sees each MAC on one port).
    interactive=True: testpmd -i on a stdin pipe instead, forwarding nothing
    until start_traffic(); sample it with StatsPoller.
    fcs=True: size counts the 4-byte FCS, as RFC 2544 frame sizes do (a
    1518-byte frame carries 1500 bytes of payload), so testpmd builds
    frames 4 bytes shorter; by default it builds size bytes.
    """
    cut = 4 if fcs else 0
    argv = ["dpdk-testpmd", "-l", "0,1", "--main-lcore", "1", "--no-pci",
            "--single-file-segments", "--file-prefix", prefix]
    for v in vdevs:
        argv += ["--vdev", v]
    argv += ["--", "--no-mlockall", "--forward-mode=io",
             "--total-num-mbufs=%d" % mbufs]
    argv += ["-i"] if interactive else ["--tx-first", "--stats-period", "1"]
    if str(size) == "imix":
        segs = (IMIX_SEGMENTS[0] - cut,) + tuple(IMIX_SEGMENTS[1:])
        argv += (["--txpkts=" + ",".join(str(s) for s in segs)] if interactive
                 else imix_txpkts(imix_cmdfile(prefix), segs))
    else:
        argv += ["--txpkts=%d" % (int(size) - cut)]
    argv += ["--eth-peer=%d,%s" % (i, m) for i, m in enumerate(peers)]
    argv += list(extra)
    if interactive:
        # On a pipe, testpmd's answers would wait in stdio's buffer.
        argv = ["stdbuf", "-oL"] + argv
    return Proc("frontend", argv, echo, stdin=interactive)


def start_traffic(frontend, size=64, bursts=8):
    """Start an interactive frontend: `start tx_first N` puts N bursts of 32
    frames per port in flight (DPDK's vhost test plans use 32); for IMIX,
    the random tx split first."""
    if str(size) == "imix":
        frontend.send("set txsplit rand")
    return frontend.send("start tx_first %d" % bursts)


class StatsPoller:
    """Asks an interactive testpmd for `show port stats all` every period
    seconds, so that its output has the same per-period lines (Rx-pps,
    RX-bytes) as --stats-period prints; stop() ends it."""

    def __init__(self, proc, period=1.0):
        self.proc, self.period = proc, period
        self.done = threading.Event()
        self.t = threading.Thread(target=self._run, daemon=True)
        self.t.start()

    def _run(self):
        while not self.done.wait(self.period):
            if not self.proc.alive() or not self.proc.send("show port stats all"):
                return

    def stop(self):
        self.done.set()
        self.t.join(5)


def start_frontend(socks, prefix, size=64, server=False, echo=False):
    """The loopback frontend of DESIGN.md: two net_virtio_user ports on socks
    (MAC0, MAC1; eth-peers crosswise), testpmd io --tx-first on lcore 0."""
    return start_testpmd_frontend(prefix, virtio_user_vdevs(socks, server=server),
                                  size=size, echo=echo)


RX_PPS = re.compile(r"Rx-pps:\s+(\d+)")
RX_BYTES = re.compile(r"RX-packets:\s+(\d+)\s+RX-missed:\s+\d+\s+RX-bytes:\s+(\d+)")


def frontend_rates(lines, ports=2):
    """Per-period total Rx pps: testpmd prints one Rx-pps line per port."""
    vals = [int(m.group(1)) for m in map(RX_PPS.search, list(lines)) if m]
    return [sum(vals[i:i + ports]) for i in range(0, len(vals) - ports + 1, ports)]


def frontend_bytes_per_packet(lines, ports=2, first=0):
    """Mean received frame size (bytes, without CRC) over the periods from
    period index first on, from testpmd's cumulative RX counters."""
    vals = [(int(m.group(1)), int(m.group(2)))
            for m in map(RX_BYTES.search, list(lines)) if m]
    totals = [tuple(map(sum, zip(*vals[i:i + ports])))
              for i in range(0, len(vals) - ports + 1, ports)]
    if len(totals) < 2:
        return None
    a = totals[max(0, min(first, len(totals) - 2))]
    b = totals[-1]
    return (b[1] - a[1]) / (b[0] - a[0]) if b[0] > a[0] else None


LcoreTotals = collections.namedtuple("LcoreTotals", "busy idle work packets")


def lcore_totals(tel):
    """vhostswitch's workers summed: LcoreTotals of busy, idle and work
    cycles and packets."""
    busy = idle = work = pkts = 0
    for st in tel.query("/vhostswitch/lcores").values():
        busy += st["busy_cycles"]
        idle += st["idle_cycles"]
        work += st["work_cycles"]
        pkts += st["packets"]
    return LcoreTotals(busy, idle, work, pkts)


def lcore_costs(before, after):
    """What the workers did between two lcore_totals: busy and work
    cycles per packet and the busy share (None where a snapshot is
    missing or nothing moved). Busy cycles are whole
    iterations that moved frames; work cycles leave out the empty polls
    of other queues in those iterations."""
    if before is None or after is None:
        return {"busy_cycles_per_packet": None, "work_cycles_per_packet": None,
                "busy_share": None}
    d = LcoreTotals(*(a - b for a, b in zip(after, before)))
    return {"busy_cycles_per_packet": d.busy / d.packets if d.packets else None,
            "work_cycles_per_packet": d.work / d.packets if d.packets else None,
            "busy_share": d.busy / (d.busy + d.idle) if d.busy + d.idle else None}


def testpmd_cycles_per_packet(text):
    """testpmd's "CPU cycles/packet=" (with --record-core-cycles), or None."""
    m = re.search(r"CPU cycles/packet=([\d.]+)", text)
    return float(m.group(1)) if m else None


def gnuplot(directory, name, script):
    """Runs a gnuplot script (which writes NAME.png) in directory, keeping
    it as NAME.gp. Returns the PNG's path, or None (said in the log) when
    gnuplot (gnuplot-nox) is missing or fails."""
    gp = shutil.which("gnuplot")
    if gp is None:
        log("plot: gnuplot not found (apt-get install gnuplot-nox); skipped")
        return None
    path = os.path.join(directory, name + ".gp")
    r = None
    # pngcairo is not in every gnuplot build; the plain png terminal is.
    for text in (script, script.replace("pngcairo", "png")):
        with open(path, "w") as f:
            f.write(text)
        r = subprocess.run([gp, name + ".gp"], cwd=directory, capture_output=True,
                           text=True)
        if r.returncode == 0:
            return os.path.join(directory, name + ".png")
    log("plot: gnuplot failed: " + r.stderr.strip())
    return None


def c2c_rtt_ns(binary=C2C, cpus=(0, 1)):
    """The round trip of one cache line between two CPUs (vs-c2c), in ns,
    or None when vs-c2c is not built or cannot run there. A switch and its
    guests talk through shared lines, so this bounds every figure; on a VM
    it depends on where the host runs the vCPUs, and that changes."""
    if not binary or not os.access(binary, os.X_OK):
        return None
    try:
        r = subprocess.run([binary, str(cpus[0]), str(cpus[1]), "100000"],
                           capture_output=True, text=True, timeout=30)
        return json.loads(r.stdout)["rtt_ns"] if r.returncode == 0 else None
    except (OSError, ValueError, KeyError, subprocess.TimeoutExpired):
        return None


def add_c2c_args(ap, retries=False):
    """--c2c, --c2c-max and --c2c-wait, for c2c_settle() and placed();
    with retries, also --c2c-retries."""
    ap.add_argument("--c2c", default=C2C, help="vs-c2c binary (records the"
                    " CPUs' cache-line round trip with each run)")
    ap.add_argument("--c2c-max", type=float, default=0, metavar="NS",
                    help="before each run, wait until that round trip is at"
                         " most NS (default 0: do not wait)")
    ap.add_argument("--c2c-wait", type=float, default=60, metavar="SEC",
                    help="the longest wait for --c2c-max (default 60)")
    if retries:
        ap.add_argument("--c2c-retries", type=int, default=0, metavar="N",
                        help="with --c2c-max, run again (up to N times) a run"
                             " whose round trip after it was above NS; the"
                             " runs set aside stay in the results")


def c2c_settle(args):
    """Before a run: the CPUs' round trip, after waiting (up to
    args.c2c_wait seconds) for it to be at most args.c2c_max, if given.
    Returns the fields a run records."""
    t0 = time.time()
    rtt = c2c_rtt_ns(args.c2c)
    while (args.c2c_max and rtt is not None and rtt > args.c2c_max
           and time.time() - t0 < args.c2c_wait):
        time.sleep(0.5)
        rtt = c2c_rtt_ns(args.c2c)
    return {"c2c_rtt_ns": rtt, "c2c_waited_s": round(time.time() - t0, 1)}


# A run counts as fast-placed when the CPUs' cache-line round trip was at
# most this before and after it (vs-c2c; bench/RESULTS.md on the two modes).
FAST_C2C_NS = 200


def fast_placed(run, limit=FAST_C2C_NS):
    """The run's round trip was measured, and at most limit, at both ends."""
    a, b = run.get("c2c_rtt_ns"), run.get("c2c_rtt_ns_after")
    return a is not None and b is not None and max(a, b) <= limit


def placed(args, fn, what="run"):
    """Runs fn() (which returns a result dict) between two measures of the
    CPUs' round trip: c2c_settle() before, the round trip after, both
    recorded in the result. With --c2c-max NS and --c2c-retries N, a run
    not fast-placed (at most NS at both ends) is run again, up to N more
    times; the runs set aside are kept in the last one's
    "slow_placed_runs". A result holding "error" is not repeated."""
    retries = getattr(args, "c2c_retries", 0) if args.c2c_max else 0
    aside = []
    while True:
        pre = c2c_settle(args)
        res = fn()
        res.update(pre)
        res["c2c_rtt_ns_after"] = c2c_rtt_ns(args.c2c)
        if (len(aside) >= retries or "error" in res
                or fast_placed(res, args.c2c_max)):
            break
        log("%s slow-placed (c2c %s ns): running it again" % (what, fmt_c2c(res)))
        aside.append(res)
    if aside:
        res["slow_placed_runs"] = aside
    return res


def fmt_c2c(res):
    """A run's CPU round trip before/after it, for the logs: "105/98"."""
    return "/".join("%.0f" % v if v is not None else "-"
                    for v in (res.get("c2c_rtt_ns"), res.get("c2c_rtt_ns_after")))
