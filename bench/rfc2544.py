#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""RFC 2544 throughput and latency through vhostswitch, with vs-gen.

For each backend and frame size: a binary search of the offered rate for
the highest rate with no loss (NDR) and with at most 0.5% loss (PDR), then
latency at 10%, 50% and 90% of NDR.

Topology: the backend on lcore 1 with two vhost-user ports (vsbench.py
starts it: vhostswitch, or dpdk-testpmd with two net_vhost ports in io mode
as the no-lookup baseline); vs-gen on lcore 0 with two net_virtio_user
ports, port 0 generating to port 1's MAC (both ways with --bidir). One
vs-gen process per trial; the backend runs through a whole search.

A trial passes when the loss is within the threshold and vs-gen managed to
offer what it was asked (a virtio ring the backend does not empty holds
the generator back instead of losing frames, so a shortfall there is the
backend not keeping up, like loss). The search starts from the rate vs-gen
reaches unpaced, and stops when the bracket is narrower than --resolution
of it.

Noise, and how the search lives with it: with two CPUs the sink shares
the generator's core, so a frame waits in the sink's virtio ring whenever
vs-gen is busy sending or off its CPU. The rings are 4096 descriptors by
default (--ring), 1.2 ms at 3.3 Mpps, so that such a gap is not loss. And
a failed search trial is run once more (--retries) before the search
moves down: one stall of a shared machine would otherwise decide the
result. Every run, repeated ones too ("ndr+"), is in the JSON.

A machine whose CPUs change speed within a search (on a VM, as the host
places the two vCPUs: see vs-c2c) moves its outcome more than either
remedy can: one trial in a slow placement, even repeated, takes the
search down to that placement's rate. With --per-trial, every trial gets
a backend of its own, started after a measure of the CPUs' cache-line
round trip and stopped before another (neither CPU polls while it is
measured); with --c2c-max NS it waits for a round trip of at most NS
first, and with --c2c-retries N a trial whose round trip after it was
above NS is run again, up to N times, before it counts (the runs set
aside stay in its "slow_placed_runs"). testpmd's cycles per packet are
then recorded for every trial too, from what it prints when it stops
(over its whole run, learning frames included). Without --per-trial the
round trip is measured around the whole search, and --c2c-retries runs
the whole search again.

Results: bench/results/rfc2544-<time>.json (every trial, the NDR, PDR and
latency figures, and for vhostswitch the worker's busy cycles per packet,
busy share and drops by reason in each trial), and a summary table on
stdout. vs-gen generates and sinks on one core: when trials fail while the
switch's worker is well short of 100% busy, the generator was the limit,
not the switch.
"""

import argparse
import json
import os
import shutil
import sys
import tempfile
import time

import vsbench as vb

GEN = os.path.join(vb.ROOT, "build", "bench", "vs-gen")
RESULTS = os.path.join(vb.ROOT, "bench", "results")
START_LINE = "vs-gen: learning done, sending"


def tag():
    return "%d-%d" % (os.getpid(), int(time.time() * 1000) % 1000000)


class Gen:
    """How to run vs-gen against a set of vhost-user sockets: one
    net_virtio_user port per socket, on lcore 0, in its own memory."""

    def __init__(self, binary, socks, macs=None, ring=1024, roles=None,
                 idle_sleep=0, packed=False):
        self.binary = binary
        self.socks = list(socks)
        self.macs = macs or ["02:00:00:00:%02x:%02x" % (i >> 8, (i & 0xff) + 1)
                             for i in range(len(self.socks))]
        self.ring = ring
        self.roles = roles
        self.idle_sleep = idle_sleep
        self.packed = packed

    def argv(self, prefix, opts):
        a = [self.binary, "-l", "0", "--no-pci", "--in-memory",
             "--single-file-segments", "--no-telemetry", "--file-prefix",
             prefix, "--log-level", "*:warning"]
        for v in vb.virtio_user_vdevs(self.socks, self.macs, packed=self.packed):
            a += ["--vdev", "%s,queue_size=%d" % (v, self.ring)]
        a += ["--", "--ring", str(self.ring), "--quiet"]
        if self.roles:
            a += ["--roles", self.roles]
        if self.idle_sleep:
            a += ["--idle-sleep", str(self.idle_sleep)]
        return a + [str(x) for x in opts]

    def run(self, opts, timeout, on_start=None):
        """Runs one vs-gen to its end; returns its JSON result. on_start()
        is called when its learning frames are through and the measured
        run begins (vs-gen says so on stderr)."""
        prefix = "rfc-g-" + tag()
        p = vb.Proc("vs-gen", self.argv(prefix, opts))
        try:
            end = time.time() + timeout
            started = on_start is None
            while p.alive() and time.time() < end:
                if not started and START_LINE in p.lines:
                    on_start()
                    started = True
                time.sleep(0.01)
            rc = p.stop()
        finally:
            vb.cleanup_prefix(prefix)
        lines = [ln for ln in p.lines if ln.startswith('{"tool":"vs-gen"')]
        if rc != 0 or not lines:
            raise RuntimeError("vs-gen failed (status %s):\n%s"
                               % (rc, "\n".join(p.lines[-30:])))
        return json.loads(lines[-1])


class Backend:
    """A backend under test with two vhost-user server ports, running until
    stop(); cycles() reads vhostswitch's worker counters (None for
    testpmd, which reports its cycles only at exit)."""

    def __init__(self, kind, switch, echo=False):
        self.kind = kind
        self.dir = tempfile.mkdtemp(prefix="vs-rfc2544-")
        self.socks = [os.path.join(self.dir, "vhost%d.sock" % i) for i in (0, 1)]
        self.prefix = "rfc-b-" + tag()
        self.tel = None
        if kind == "vhostswitch":
            self.proc = vb.start_vhostswitch(switch, self.prefix, self.socks,
                                             os.path.join(self.dir, "ctl.sock"),
                                             echo=echo)
            self.tel = vb.Telemetry(self.prefix)
        elif kind == "testpmd":
            self.proc = vb.start_testpmd_backend(self.prefix,
                                                 vb.net_vhost_vdevs(self.socks),
                                                 echo=echo)
        else:
            raise ValueError("unknown backend " + kind)
        try:
            vb.wait_for(lambda: all(os.path.exists(s) for s in self.socks)
                        or not self.proc.alive(), 30, kind + "'s sockets")
            if not self.proc.alive():
                raise RuntimeError("%s exited:\n%s" % (kind, self.proc.output()))
        except BaseException:
            self.stop()
            raise

    def cycles(self):
        return vb.lcore_totals(self.tel) if self.tel else None

    def drops(self):
        return switch_drops(self.tel) if self.tel else None

    def stop(self):
        self.proc.stop()
        vb.cleanup_prefix(self.prefix)
        shutil.rmtree(self.dir, ignore_errors=True)
        return self.proc.output()


def switch_drops(tel):
    """vhostswitch's drop counters summed over its ports, by reason."""
    total = {}
    for name in tel.query("/vhostswitch/ports"):
        for k, v in tel.query("/vhostswitch/port," + name).items():
            if k.startswith("drop_"):
                total[k] = total.get(k, 0) + v
    return total


def drops_delta(before, after):
    """The reasons whose count grew, and by how much."""
    if before is None or after is None:
        return None
    return {k: v - before.get(k, 0) for k, v in after.items()
            if v - before.get(k, 0)}


class Search:
    """Trials of one backend and frame size: on one backend for the whole
    search, or (--per-trial) on a fresh one for every trial."""

    def __init__(self, args, kind, size):
        self.args = args
        self.kind = kind
        self.size = size
        self.backend = None
        self.trials = []

    def start_backend(self):
        return Backend(self.kind, self.args.switch, echo=self.args.echo)

    def measure(self, backend, rate, duration):
        """One vs-gen run through backend; the trial's figures."""
        a = self.args
        gen = Gen(a.gen, backend.socks, ring=a.ring, packed=a.packed,
                  roles="both,both" if a.bidir else "gen,sink")
        opts = ["--rate", int(rate), "--duration", duration, "--size", self.size,
                "--macs", a.macs, "--flows", a.flows, "--drain", a.drain]
        snap = {}

        def start():
            snap["cycles"] = backend.cycles()
            snap["drops"] = backend.drops()
        start()
        # The learning frames go before the run: counted from its start.
        res = gen.run(opts, timeout=duration + 60, on_start=start)
        before, dbefore = snap["cycles"], snap["drops"]
        after, dafter = backend.cycles(), backend.drops()
        t = {"offered_pps": int(rate),
             "tx_pps": res["tx_pps"], "rx_pps": res["rx_pps"],
             "loss_ratio": res["loss_ratio"], "lost": res["lost"],
             "tx_packets": res["tx_packets"], "rx_packets": res["rx_packets"],
             "reordered": res["reordered"], "duplicates": res["duplicates"],
             "tx_stalls": res["tx_stalls"], "latency_ns": res["latency_ns"],
             "switch_drops": drops_delta(dbefore, dafter)}
        t.update(vb.lcore_costs(before, after))
        return t

    def placed_trial(self, rate, duration, what):
        """A trial on its own backend, between two measures of the CPUs'
        round trip (neither CPU polls then); with --c2c-max and
        --c2c-retries, run again while not fast-placed."""
        def one():
            backend = self.start_backend()
            try:
                t = self.measure(backend, rate, duration)
            finally:
                output = backend.stop()
            if self.kind == "testpmd":
                # What it prints when it stops: over its whole run,
                # learning frames included.
                t["busy_cycles_per_packet"] = vb.testpmd_cycles_per_packet(output)
                t["cycles_scope"] = "whole run"
            return t
        return vb.placed(self.args, one, what)

    def trial(self, rate, duration, purpose):
        what = "  %-6s offered %9s" % (purpose, int(rate) or "max")
        if self.args.per_trial:
            t = self.placed_trial(rate, duration, what)
        else:
            t = self.measure(self.backend, rate, duration)
        t = dict({"purpose": purpose}, **t)
        self.trials.append(t)
        lat = t["latency_ns"] or {}
        vb.log("%s  tx %9.0f  rx %9.0f pps  loss %.4f%%  p50 %s p99 %s ns%s%s%s"
               % (what, t["tx_pps"], t["rx_pps"],
                  100 * t["loss_ratio"], fmt(lat.get("p50")), fmt(lat.get("p99")),
                  "  %.0f cyc/pkt" % t["busy_cycles_per_packet"]
                  if t["busy_cycles_per_packet"] else "",
                  ", %.0f%% busy" % (100 * t["busy_share"])
                  if t.get("busy_share") else "",
                  "  switch drops %s" % t["switch_drops"] if t["switch_drops"] else "")
               + ("  c2c %s ns" % vb.fmt_c2c(t) if "c2c_rtt_ns" in t else ""))
        return t

    def passes(self, t, threshold):
        offered_ok = t["offered_pps"] == 0 or \
            t["tx_pps"] >= t["offered_pps"] * (1 - self.args.shortfall)
        return offered_ok and t["loss_ratio"] <= threshold

    def attempt(self, rate, threshold, purpose):
        """One search step at rate: a trial, run again up to --retries
        times while it fails. Returns (passed, the last trial)."""
        for i in range(self.args.retries + 1):
            t = self.trial(rate, self.args.trial, purpose if i == 0 else purpose + "+")
            if self.passes(t, threshold):
                return True, t
        return False, t

    def search(self, lo, hi, threshold, purpose, lo_trial=None):
        """The highest passing rate in (lo, hi]: lo is known to pass (its
        trial lo_trial), or is 0; hi is tried first. Returns (rate, its
        trial), or (lo, lo_trial) when nothing above lo passed."""
        best = (lo, lo_trial)
        ok, t = self.attempt(hi, threshold, purpose)
        if ok:
            return hi, t
        for _ in range(self.args.max_steps):
            if hi - lo <= self.args.resolution * hi:
                break
            mid = (lo + hi) // 2
            ok, t = self.attempt(mid, threshold, purpose)
            if ok:
                lo, best = mid, (mid, t)
            else:
                hi = mid
        return best

    def run(self):
        # A search run again (--c2c-retries without --per-trial) starts afresh.
        self.trials = []
        if self.args.per_trial:
            return self.search_all()
        self.backend = self.start_backend()
        try:
            return self.search_all()
        finally:
            self.backend.stop()
            self.backend = None

    def search_all(self):
        a = self.args
        if a.max_rate:
            top = int(a.max_rate)
        else:
            t = self.trial(0, a.trial, "max")
            top = int(t["tx_pps"])
        ndr, ndr_t = self.search(0, top, 0.0, "ndr")
        if ndr >= top:
            pdr, pdr_t = ndr, ndr_t
        else:
            pdr, pdr_t = self.search(ndr, top, a.pdr, "pdr", ndr_t)
        lat = []
        for pct in (10, 50, 90):
            if ndr <= 0:
                break
            t = self.trial(ndr * pct // 100, a.latency_trial, "lat%d" % pct)
            lat.append({"percent_of_ndr": pct, "offered_pps": t["offered_pps"],
                        "loss_ratio": t["loss_ratio"],
                        "latency_ns": t["latency_ns"]})
        return {"backend": self.kind, "size": self.size,
                "max_tx_pps": top,
                "ndr_pps": ndr, "ndr_trial": ndr_t,
                "pdr_pps": pdr, "pdr_trial": pdr_t, "pdr_threshold": a.pdr,
                "latency": lat, "trials": self.trials}


def fmt(v, spec="%.0f"):
    return "-" if v is None else spec % v


def gen_arg_parser(doc, c2c_retries=False):
    """The options every vs-gen script has: its first doc line as the
    description, the rest as the epilog, --switch, --gen, --packed and the
    c2c ones (with c2c_retries, --c2c-retries too)."""
    ap = argparse.ArgumentParser(description=doc.split("\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog=doc.split("\n", 2)[2])
    ap.add_argument("--switch", default=vb.SWITCH, help="vhostswitch binary")
    ap.add_argument("--gen", default=GEN, help="vs-gen binary")
    ap.add_argument("--packed", action="store_true",
                    help="vs-gen's virtqueues packed (virtio 1.1), not split")
    vb.add_c2c_args(ap, retries=c2c_retries)
    return ap


def main():
    ap = gen_arg_parser(__doc__, c2c_retries=True)
    ap.add_argument("--per-trial", action="store_true",
                    help="a fresh backend for every trial, between measures of"
                         " the CPUs' round trip (see above)")
    ap.add_argument("--backends", default="vhostswitch,testpmd",
                    help="comma-separated: vhostswitch, testpmd")
    ap.add_argument("--sizes", default="64",
                    help="comma-separated frame sizes (64..1518) or imix")
    ap.add_argument("--trial", type=float, default=10,
                    help="seconds per search trial (RFC 2544: 60)")
    ap.add_argument("--latency-trial", type=float, default=20,
                    help="seconds per latency trial (RFC 2544: 120)")
    ap.add_argument("--resolution", type=float, default=0.01,
                    help="stop when the bracket is this share of its top")
    ap.add_argument("--max-steps", type=int, default=12)
    ap.add_argument("--max-rate", type=float, default=0,
                    help="top of the search in pps (0: what vs-gen reaches unpaced)")
    ap.add_argument("--pdr", type=float, default=0.005,
                    help="loss ratio the PDR allows (default 0.005)")
    ap.add_argument("--shortfall", type=float, default=0.01,
                    help="share of the offered rate vs-gen may fall short by")
    ap.add_argument("--bidir", action="store_true",
                    help="both ports generate, each to the other (half the rate each)")
    ap.add_argument("--macs", type=int, default=1, help="source MACs per generator")
    ap.add_argument("--flows", type=int, default=0, help="flows per generator (0: --macs)")
    ap.add_argument("--retries", type=int, default=1,
                    help="runs of a failed search trial again before it counts"
                         " as failed (default 1, see above)")
    ap.add_argument("--ring", type=int, default=4096,
                    help="virtio ring size (default 4096, see above)")
    ap.add_argument("--drain", type=int, default=500, help="vs-gen --drain, ms")
    ap.add_argument("--out", help="result file (default bench/results/rfc2544-TIME.json)")
    ap.add_argument("--echo", action="store_true", help="show the backend's output")
    args = ap.parse_args()
    args.flows = args.flows or args.macs
    if not os.access(args.gen, os.X_OK):
        sys.exit("rfc2544.py: no vs-gen at %s (build first: ninja -C build)" % args.gen)

    stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime())
    out = args.out or os.path.join(RESULTS, "rfc2544-%s.json" % stamp)
    results = []
    for size in args.sizes.split(","):
        for kind in args.backends.split(","):
            vb.log("%s, %s frames" % (kind, size if size == "imix" else size + "-byte"))
            search = Search(args, kind, size)
            if args.per_trial:
                # Each trial measures the CPUs' round trip around itself.
                res = search.run()
            else:
                # The CPUs' round trip, while neither of them polls.
                res = vb.placed(args, search.run)
                vb.log("  c2c %s ns before/after the search" % vb.fmt_c2c(res))
            results.append(res)
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    with open(out, "w") as f:
        json.dump({"tool": "rfc2544.py", "time": stamp,
                   "settings": {k: v for k, v in vars(args).items()
                                if k not in ("switch", "gen", "out", "echo")},
                   "results": results}, f, indent=1)

    vb.log("\n%-12s %6s %12s %12s %10s   latency p50/p99/p99.9 ns at 10%%, 50%%, 90%% of NDR"
           % ("backend", "size", "NDR pps", "PDR pps", "cyc/pkt"))
    for r in results:
        cyc = (r["ndr_trial"] or {}).get("busy_cycles_per_packet")
        lats = "  ".join("%s/%s/%s" % (fmt(x["latency_ns"] and x["latency_ns"]["p50"]),
                                       fmt(x["latency_ns"] and x["latency_ns"]["p99"]),
                                       fmt(x["latency_ns"] and x["latency_ns"]["p99.9"]))
                         for x in r["latency"])
        vb.log("%-12s %6s %12.0f %12.0f %10s   %s"
               % (r["backend"], r["size"], r["ndr_pps"], r["pdr_pps"],
                  fmt(cyc, "%.1f"), lats))
    vb.log("results: " + out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
