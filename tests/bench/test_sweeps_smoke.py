#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""bench/scale.py and bench/rfc2544.py, each a few seconds long: their JSON
holds what they measured, the scale sweep's plot is drawn, and nothing of
the runs is left behind (processes, hugepage files, runtime directories).

usage: test_sweeps_smoke.py VHOSTSWITCH VS_GEN VS_C2C scale|rfc2544
"""

import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
BENCH = os.path.join(HERE, "..", "..", "bench")


def run(script, args, timeout):
    p = subprocess.Popen([sys.executable, os.path.join(BENCH, script)] + args)
    rc = p.wait(timeout)
    assert rc == 0, "%s exited %d" % (script, rc)
    return p.pid


def check_clean(pid, kinds):
    """No hugepage file or runtime directory of the script's processes."""
    tags = ["%s-%d-*" % (k, pid) for k in kinds]
    left = [f for t in tags for f in glob.glob("/dev/hugepages/" + t) +
            glob.glob("/var/run/dpdk/" + t)]
    assert not left, "left behind: %s" % left


def check_c2c(res):
    """The CPUs' round trip was measured before and after."""
    for k in ("c2c_rtt_ns", "c2c_rtt_ns_after"):
        assert isinstance(res[k], float) and res[k] > 0, (k, res.get(k))


def scale(switch, gen, c2c, tmp):
    out = os.path.join(tmp, "scale.json")
    pid = run("scale.py", ["--switch", switch, "--gen", gen, "--c2c", c2c,
                           "--guests", "2",
                           "--macs", "1,5000", "--rate", "200000",
                           "--duration", "1", "--out", out], 240)
    with open(out) as f:
        data = json.load(f)
    assert data["settings"]["pacing"] == "burst", data["settings"]
    runs = data["runs"]
    assert [(r["guests"], r["macs"]) for r in runs] == [(2, 1), (2, 5000)], runs
    for r in runs:
        check_c2c(r)
        assert r["loss_ratio"] == 0, r
        assert r["backend"] == "vhostswitch", r
        assert r["rx_pps"] > 0 and r["busy_cycles_per_packet"] > 0, r
        # Work leaves out the empty polls that busy counts.
        assert 0 < r["work_cycles_per_packet"] <= r["busy_cycles_per_packet"], r
    # 5000 generated sources, the generator's own MAC and the sink's: a
    # table large enough for the bridge's prefetch pass (4096 entries on),
    # which must forward every frame as the plain path does.
    assert runs[1]["switch_info"]["fdb_entries"] == 5002, runs[1]["switch_info"]
    check_clean(pid, ("scale-b", "rfc-g"))
    if shutil.which("gnuplot"):
        run("scale.py", ["--replot", out], 60)
        png = os.path.join(tmp, "scale.png")
        with open(png, "rb") as f:
            assert f.read(8) == b"\x89PNG\r\n\x1a\n", "not a PNG: " + png
    else:
        print("gnuplot not installed: the plot is not checked")
    # The floor: testpmd io forwarding the same guests, its cycles read
    # from what it prints when it stops.
    tout = os.path.join(tmp, "scale-testpmd.json")
    pid = run("scale.py", ["--backend", "testpmd", "--gen", gen, "--c2c", c2c,
                           "--guests", "2", "--macs", "1", "--rate", "200000",
                           "--duration", "1", "--out", tout], 240)
    with open(tout) as f:
        t = json.load(f)["runs"]
    assert [(r["backend"], r["guests"], r["loss_ratio"]) for r in t] == \
        [("testpmd", 2, 0)], t
    assert t[0]["rx_pps"] > 0 and t[0]["busy_cycles_per_packet"] > 0, t
    assert t[0]["work_cycles_per_packet"] is None and t[0]["switch_info"] is None, t
    check_clean(pid, ("scale-b", "rfc-g"))
    print("ok: scale, %.0f and %.0f busy cycles/packet; testpmd %.0f"
          % (tuple(r["busy_cycles_per_packet"] for r in runs)
             + (t[0]["busy_cycles_per_packet"],)))


def rfc2544(switch, gen, c2c, tmp):
    out = os.path.join(tmp, "rfc.json")
    rate = 100000
    pid = run("rfc2544.py", ["--switch", switch, "--gen", gen, "--c2c", c2c,
                             "--backends", "vhostswitch", "--sizes", "64",
                             "--max-rate", str(rate), "--trial", "1",
                             "--latency-trial", "1", "--out", out], 240)
    with open(out) as f:
        res = json.load(f)["results"]
    assert len(res) == 1, res
    r = res[0]
    check_c2c(r)
    # The top of the search passes at once: NDR and PDR are that rate.
    assert r["ndr_pps"] == rate and r["pdr_pps"] == rate, r
    assert [t["purpose"] for t in r["trials"]] == ["ndr", "lat10", "lat50",
                                                   "lat90"], r["trials"]
    assert [x["offered_pps"] for x in r["latency"]] == [10000, 50000, 90000], \
        r["latency"]
    for x in r["latency"]:
        assert x["loss_ratio"] == 0 and x["latency_ns"]["p50"] > 0, x
    check_clean(pid, ("rfc-b", "rfc-g"))
    # --per-trial: a testpmd of its own for every trial, the CPUs' round
    # trip measured around each, and testpmd's cycles from its exit.
    pout = os.path.join(tmp, "rfc-per-trial.json")
    pid = run("rfc2544.py", ["--gen", gen, "--c2c", c2c, "--per-trial",
                             "--backends", "testpmd", "--sizes", "64",
                             "--max-rate", str(rate), "--trial", "1",
                             "--latency-trial", "1", "--out", pout], 240)
    with open(pout) as f:
        p = json.load(f)["results"]
    assert len(p) == 1 and p[0]["backend"] == "testpmd", p
    assert p[0]["ndr_pps"] == rate and "c2c_rtt_ns" not in p[0], p[0]
    assert [t["purpose"] for t in p[0]["trials"]] == ["ndr", "lat10", "lat50",
                                                      "lat90"], p[0]["trials"]
    for t in p[0]["trials"]:
        check_c2c(t)
        assert t["loss_ratio"] == 0 and t["cycles_scope"] == "whole run", t
        assert t["busy_cycles_per_packet"] > 0, t
    check_clean(pid, ("rfc-b", "rfc-g"))
    print("ok: rfc2544, NDR %d pps, p50 %.0f ns at 10%%; per trial, testpmd"
          " %.0f cycles/packet at NDR"
          % (r["ndr_pps"], r["latency"][0]["latency_ns"]["p50"],
             p[0]["ndr_trial"]["busy_cycles_per_packet"]))


def main():
    switch, gen, c2c, which = sys.argv[1:5]
    tmp = tempfile.mkdtemp(prefix="vs-sweeps-smoke-")
    try:
        {"scale": scale, "rfc2544": rfc2544}[which](switch, gen, c2c, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
