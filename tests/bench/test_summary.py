#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""bench/run.py's summary of a sweep, on runs written out here: medians
over all runs, and over the fast-placed ones only (the CPUs' cache-line
round trip at most FAST_C2C_NS before and after), with ratios to the
baseline from the rounds where both sides were fast-placed. Then the wait
for a fast placement (vsbench.c2c_settle) and the repeat of slow-placed
runs (vsbench.placed) with the real vs-c2c.

usage: test_summary.py VS_C2C"""

import argparse
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "..", "bench"))
import run  # noqa: E402
import vsbench  # noqa: E402


def one(backend, rnd, mpps, cycles, c2c):
    return {"backend": backend, "size": "64", "round": rnd,
            "frontend_rx_pps": mpps * 1e6, "busy_cycles_per_packet": cycles,
            "busy_share": 0.99, "c2c_rtt_ns": c2c[0], "c2c_rtt_ns_after": c2c[1]}


def main():
    fast, slow, flip = (90.0, 110.0), (350.0, 360.0), (100.0, 340.0)
    runs = [
        one("vhostswitch", 1, 16.0, 160, fast), one("testpmd", 1, 15.0, 170, fast),
        one("vhostswitch", 2, 8.0, 300, flip), one("testpmd", 2, 15.5, 165, fast),
        one("vhostswitch", 3, 15.0, 170, fast), one("testpmd", 3, 7.5, 320, slow),
        one("vhostswitch", 4, 14.0, 175, fast), one("testpmd", 4, 14.0, 175, fast),
    ]
    s = run.summarize(runs, ["vhostswitch", "testpmd"], ["64"], 4)
    vs, tp = s["sizes"]["64"]["vhostswitch"], s["sizes"]["64"]["testpmd"]
    assert s["baseline"] == "testpmd", s["baseline"]
    # All runs: four each, ratios from every round.
    assert vs["mpps"]["n"] == 4 and vs["mpps"]["min"] == 8.0, vs["mpps"]
    assert [round(x, 4) for x in vs["cycles_ratios"]] == \
        [round(x, 4) for x in (160 / 170, 300 / 165, 170 / 320, 1.0)], vs["cycles_ratios"]
    # Fast-placed: vhostswitch's round 2 flipped during the run, testpmd's
    # round 3 was slow throughout; both rounds leave the ratios.
    assert vs["fast"]["runs"] == 3 and tp["fast"]["runs"] == 3, (vs["fast"], tp["fast"])
    assert vs["fast"]["cycles_per_packet"] == {"median": 170, "min": 160, "max": 175,
                                               "n": 3}, vs["fast"]
    assert tp["fast"]["mpps"]["median"] == 15.0, tp["fast"]
    assert vs["fast"]["mpps_ratios"] == [16.0 / 15.0, 1.0], vs["fast"]["mpps_ratios"]
    assert vs["fast"]["cycles_ratios"] == [160 / 170, 1.0], vs["fast"]["cycles_ratios"]
    # Runs without the figure (sweeps older than vs-c2c) get no fast entry.
    old = [{k: v for k, v in r.items() if not k.startswith("c2c")} for r in runs]
    s = run.summarize(old, ["vhostswitch", "testpmd"], ["64"], 4)
    assert "fast" not in s["sizes"]["64"]["vhostswitch"], s["sizes"]["64"]

    # No limit: one measurement, no wait. An impossible limit: measurements
    # until --c2c-wait ran out, and the last figure kept.
    c2c = sys.argv[1]
    got = vsbench.c2c_settle(argparse.Namespace(c2c=c2c, c2c_max=0, c2c_wait=60))
    assert got["c2c_rtt_ns"] > 0 and got["c2c_waited_s"] < 1, got
    got = vsbench.c2c_settle(argparse.Namespace(c2c=c2c, c2c_max=0.001, c2c_wait=1.5))
    assert got["c2c_rtt_ns"] > 0 and 1.5 <= got["c2c_waited_s"] < 4, got
    # Not built: no figure, and no wait for one.
    got = vsbench.c2c_settle(argparse.Namespace(c2c="/nonexistent/vs-c2c",
                                                c2c_max=100, c2c_wait=60))
    assert got["c2c_rtt_ns"] is None and got["c2c_waited_s"] < 1, got

    # placed(): an impossible limit with 2 retries runs three times and
    # keeps the first two aside; no limit, or an error, runs once.
    calls = []

    def fn():
        calls.append(1)
        return {"n": len(calls)}
    args = argparse.Namespace(c2c=c2c, c2c_max=0.001, c2c_wait=0, c2c_retries=2)
    got = vsbench.placed(args, fn)
    assert got["n"] == 3 and [r["n"] for r in got["slow_placed_runs"]] == [1, 2], got
    assert all(r["c2c_rtt_ns"] > 0 and r["c2c_rtt_ns_after"] > 0
               for r in got["slow_placed_runs"] + [got]), got
    calls.clear()
    got = vsbench.placed(argparse.Namespace(c2c=c2c, c2c_max=0, c2c_wait=0,
                                            c2c_retries=2), fn)
    assert got["n"] == 1 and "slow_placed_runs" not in got, got
    calls.clear()
    got = vsbench.placed(args, lambda: dict(fn(), error="boom"))
    assert got["n"] == 1 and "slow_placed_runs" not in got, got
    # Without the option (rfc2544.py), never repeated.
    calls.clear()
    got = vsbench.placed(argparse.Namespace(c2c=c2c, c2c_max=0.001, c2c_wait=0), fn)
    assert got["n"] == 1 and "slow_placed_runs" not in got, got
    print("ok: summary over all and over fast-placed runs; c2c_settle; placed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
