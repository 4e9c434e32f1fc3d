#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Does the switch's cost per packet stay flat with more guests and MACs?

For every N guests (default 2, 8, 32) and M source MAC addresses (default
1, 1000, 100000): vhostswitch with N vhost-user ports (one worker, on
lcore 1), one vs-gen process (lcore 0) with N net_virtio_user ports in
pairs, each even port generating to the odd port after it, the M MACs
shared out among the N/2 generators (at least one each: M = 1 means
one per generator, their own port MACs). After vs-gen's learning frames (so
the FDB holds all M), a run at a fixed offered rate (below the switch's
limit, so that the figure is cost, not saturation) reports the worker's
busy cycles per packet, from the switch's own counters (telemetry
/vhostswitch/lcores, as `vhostswitch-ctl lcore show` prints them), the
received rate and the loss. With --rate 0 vs-gen sends unpaced and the
received rate is the figure. It also reports the worker's work cycles
per packet: busy cycles less the empty polls of the other queues.

--backend testpmd runs the same guests through dpdk-testpmd io forwarding
(port 2k to 2k+1) instead: no lookup, no learning, the floor of rte_vhost.
Its cycles per packet are testpmd's own (--record-core-cycles, printed
when it stops, over its whole run), so that growth with guests can be
told apart from rte_vhost's.

Pacing: by default vs-gen sends whole bursts of 32 at the offered rate
(--pacing burst). Sent frame by frame instead (--pacing frame), a paced
stream reaches a polling switch one or two frames at a time: nearly every
poll finds something, the worker counts nearly all its time as busy, and
busy cycles per packet come out as the clock rate over the offered rate,
whatever the work per frame. Whole bursts make the figure the cost of a
frame.

Results: bench/results/scale-<time>.json and a table on stdout; with
--plot also scale-<time>.png (gnuplot): cycles per packet against MACs,
one line per number of guests. --replot FILE draws the PNG of a saved
sweep without running one.
"""

import json
import os
import shutil
import sys
import tempfile
import time

import vsbench as vb
from rfc2544 import (RESULTS, Gen, drops_delta,
                     gen_arg_parser, switch_drops, tag)


def start_backend(args, n, workdir, fdb_size):
    """The backend with n vhost-user ports: vhostswitch from a config
    file, its FDB sized for the sweep's MACs, or testpmd io forwarding
    port 2k to 2k+1 (the no-lookup floor of rte_vhost)."""
    socks = [os.path.join(workdir, "p%d.sock" % i) for i in range(n)]
    prefix = "scale-b-" + tag()
    if args.backend == "testpmd":
        proc = vb.start_testpmd_backend(prefix, vb.net_vhost_vdevs(socks),
                                        mbufs=max(16384, 1024 * n + 8192))
        return proc, prefix, socks
    config = os.path.join(workdir, "ports.conf")
    with open(config, "w") as f:
        for i, s in enumerate(socks):
            f.write("port add vhost p%d socket %s\n" % (i, s))
    proc = vb.start_vhostswitch(args.switch, prefix, None,
                                os.path.join(workdir, "ctl.sock"), config=config,
                                extra=("--fdb-size", str(fdb_size)))
    return proc, prefix, socks


def one(args, n, m):
    """One run, between measures of the CPUs' round trip (while neither
    of them polls), repeated while slow-placed if asked; logged."""
    row = vb.placed(args, lambda: measure(args, n, m), "N %d M %d" % (n, m))
    cyc, work, share = (row["busy_cycles_per_packet"], row["work_cycles_per_packet"],
                        row["busy_share"])
    drops = row["switch_drops"]
    vb.log("%s N %3d  M %7d  tx %9.0f  rx %9.0f pps  loss %.4f%%  %s cycles/packet"
           " (work %s)  %s busy  c2c %s ns%s"
           % (args.backend, n, row["macs"], row["tx_pps"], row["rx_pps"],
              100 * row["loss_ratio"], "-" if cyc is None else "%.1f" % cyc,
              "-" if work is None else "%.1f" % work,
              "-" if share is None else "%.0f%%" % (100 * share),
              vb.fmt_c2c(row), "  switch drops %s" % drops if drops else ""))
    return row


def measure(args, n, m):
    """One run: N guests, M MACs."""
    d = tempfile.mkdtemp(prefix="vs-scale-")
    proc, prefix, socks = start_backend(args, n, d,
                                        args.fdb_size or max(65536, 2 * (m + n)))
    testpmd = args.backend == "testpmd"
    try:
        vb.wait_for(lambda: all(os.path.exists(s) for s in socks)
                    or not proc.alive(), 30, args.backend + "'s sockets")
        if not proc.alive():
            raise RuntimeError("%s exited:\n%s" % (args.backend, proc.output()))
        tel = None if testpmd else vb.Telemetry(prefix)
        gens = n // 2
        macs = max(1, m // gens)
        gen = Gen(args.gen, socks, ring=args.ring, packed=args.packed)
        snap = []
        opts = ["--rate", args.rate, "--duration", args.duration,
                "--size", args.size, "--macs", macs, "--flows", macs]
        if args.pacing == "burst":
            opts.append("--whole-bursts")
        # The switch's cycles from the end of the learning frames on.
        res = gen.run(opts, args.duration + 120,
                      on_start=lambda: snap.append((vb.lcore_totals(tel),
                                                    switch_drops(tel))
                                                   if tel else (None, None)))
        if tel:
            costs = vb.lcore_costs(snap[0][0] if snap else None, vb.lcore_totals(tel))
            drops = drops_delta(snap[0][1], switch_drops(tel)) if snap else None
            info = tel.query("/vhostswitch/info")
        else:
            costs, drops, info = vb.lcore_costs(None, None), None, None
        row = {"backend": args.backend, "guests": n, "macs": macs * gens,
               "macs_per_generator": macs,
               "offered_pps": args.rate, "tx_pps": res["tx_pps"],
               "rx_pps": res["rx_pps"], "loss_ratio": res["loss_ratio"],
               "busy_cycles_per_packet": costs["busy_cycles_per_packet"],
               "work_cycles_per_packet": costs["work_cycles_per_packet"],
               "busy_share": costs["busy_share"], "switch_drops": drops,
               "latency_ns": res["latency_ns"], "switch_info": info}
    finally:
        proc.stop()
        vb.cleanup_prefix(prefix)
        shutil.rmtree(d, ignore_errors=True)
    if testpmd:
        # testpmd says its cycles when it stops, counting only the polls
        # that received frames, over its whole run (learning included).
        row["busy_cycles_per_packet"] = vb.testpmd_cycles_per_packet(proc.output())
        row["cycles_scope"] = "whole run"
    return row


def plot(path):
    """Draws PATH's sweep (a scale JSON) as PATH with .png for .json."""
    with open(path) as f:
        runs = json.load(f)["runs"]
    directory, name = os.path.split(os.path.abspath(path))
    name = name[:-5] if name.endswith(".json") else name
    guests = sorted({r["guests"] for r in runs})
    with open(os.path.join(directory, name + ".dat"), "w") as f:
        for n in guests:
            f.write("# %d guests: MACs, busy cycles per packet\n" % n)
            for r in sorted((r for r in runs if r["guests"] == n),
                            key=lambda r: r["macs"]):
                if r["busy_cycles_per_packet"] is not None:
                    f.write("%d %.1f\n" % (r["macs"], r["busy_cycles_per_packet"]))
            f.write("\n\n")
    series = ", ".join("'%s.dat' index %d using 1:2 with linespoints lw 2 title '%d guests'"
                       % (name, i, n) for i, n in enumerate(guests))
    script = """set terminal pngcairo size 900,600 noenhanced
set output '%s.png'
set title '%s: busy cycles per packet at the switch'
set logscale x
set xlabel 'source MACs in all (log)'
set ylabel 'busy cycles per packet'
set yrange [0:*]
set grid
set key top left
plot %s
""" % (name, name, series)
    return vb.gnuplot(directory, name, script)


def main():
    ap = gen_arg_parser(__doc__, c2c_retries=True)
    ap.add_argument("--backend", choices=("vhostswitch", "testpmd"), default="vhostswitch",
                    help="the switch, or testpmd io forwarding as the floor")
    ap.add_argument("--guests", default="2,8,32", help="numbers of guests (even)")
    ap.add_argument("--macs", default="1,1000,100000", help="numbers of MACs in all")
    ap.add_argument("--rate", type=int, default=500000,
                    help="offered pps, all generators together (0: unpaced)")
    ap.add_argument("--pacing", choices=("burst", "frame"), default="burst",
                    help="send whole bursts of 32 at the rate, or each frame"
                         " when due (see above)")
    ap.add_argument("--duration", type=float, default=10, help="seconds per run")
    ap.add_argument("--size", default="64", help="frame size or imix")
    ap.add_argument("--ring", type=int, default=1024, help="virtio ring size")
    ap.add_argument("--fdb-size", type=int, default=0,
                    help="the switch's --fdb-size (default: twice the guests"
                         " and MACs, at least 65536)")
    ap.add_argument("--out", help="result file (default bench/results/scale-TIME.json)")
    ap.add_argument("--plot", action="store_true", help="also draw the sweep's PNG")
    ap.add_argument("--replot", metavar="FILE",
                    help="only draw the PNG of a saved sweep (scale-TIME.json)")
    args = ap.parse_args()
    if args.replot:
        png = plot(args.replot)
        if png:
            vb.log("plot: " + png)
        return 0 if png else 1
    guests = [int(x) for x in args.guests.split(",")]
    if any(n < 2 or n % 2 or n > 64 for n in guests):
        sys.exit("scale.py: --guests: even numbers from 2 to 64")
    if not os.access(args.gen, os.X_OK):
        sys.exit("scale.py: no vs-gen at %s (build first: ninja -C build)" % args.gen)

    stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime())
    out = args.out or os.path.join(RESULTS, "scale-%s.json" % stamp)
    rows = [one(args, n, int(m)) for n in guests for m in args.macs.split(",")]
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    with open(out, "w") as f:
        json.dump({"tool": "scale.py", "time": stamp,
                   "settings": {k: v for k, v in vars(args).items()
                                if k not in ("switch", "gen", "out")},
                   "runs": rows}, f, indent=1)
    vb.log("results: " + out)
    if args.plot:
        png = plot(out)
        if png:
            vb.log("plot: " + png)
    return 0


if __name__ == "__main__":
    sys.exit(main())
