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
import shutil
import statistics
import sys
import tempfile
import time

from vsbench import (ROOT, Telemetry, cleanup_prefix, frontend_rates, lcore_costs, lcore_totals,
                     log, net_vhost_vdevs, start_frontend, start_testpmd_backend,
                     start_vhostswitch, testpmd_cycles_per_packet, wait_for)


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
        return start_vhostswitch(binary, prefix, socks, ctl,
                                 stats_interval=args.stats_interval, echo=echo)
    if kind == "testpmd":
        return start_testpmd_backend(prefix, net_vhost_vdevs(socks), echo=echo)
    raise ValueError(kind)


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
        frontend = start_frontend(paths, fprefix, size=args.size)
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
            result.update(lcore_costs(before, after))
        else:
            result["busy_cycles_per_packet"] = testpmd_cycles_per_packet(backend.output())
        return result
    finally:
        for p in (frontend, backend):
            if p is not None:
                p.stop()
        for pre in (bprefix, fprefix):
            cleanup_prefix(pre)
        for d in (tmp, ctl_dir):
            if d:
                shutil.rmtree(d, ignore_errors=True)


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
