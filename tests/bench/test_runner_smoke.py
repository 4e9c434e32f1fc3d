#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""bench/run.py, one round, the vhostswitch backend, a second of traffic:
the JSON has a frontend rate, busy cycles per packet and the CPUs' cache
line round trip before and after the run, and nothing of the run is left
behind (processes, hugepage files, runtime directories). Then the same
with --packed: both switch ports negotiated packed virtqueues.

usage: test_runner_smoke.py VHOSTSWITCH VS_C2C"""

import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
RUNNER = os.path.join(HERE, "..", "..", "bench", "run.py")


VIRTIO_F_RING_PACKED = 34


def sweep(switch, c2c, tmp, name, extra=()):
    """One round of one second; returns the sweep's JSON and run.py's pid."""
    out = os.path.join(tmp, name + ".json")
    p = subprocess.Popen([sys.executable, RUNNER, "--switch", switch,
                          "--backends", "vhostswitch", "--sizes", "64",
                          "--rounds", "1", "--duration", "1", "--warmup", "0",
                          "--results-dir", os.path.join(tmp, name),
                          "--c2c", c2c, "--json", out] + list(extra))
    rc = p.wait(150)
    assert rc == 0, "run.py exited %d" % rc
    with open(out) as f:
        return json.load(f), p.pid


def the_run(data, virtqueues):
    """The sweep's one run: a rate, and each port on the virtqueue layout
    the sweep asked for."""
    runs = [r for r in data["runs"] if r["backend"] == "vhostswitch"]
    assert len(runs) == 1, runs
    run = runs[0]
    assert "error" not in run, run.get("error")
    assert run["frontend_rx_pps"] > 0, run
    assert (data["info"]["virtqueues"], run["virtqueues"]) == (virtqueues,) * 2, \
        (data["info"].get("virtqueues"), run.get("virtqueues"))
    ports = run["switch_ports"]
    assert sorted(ports) == ["vhost0", "vhost1"], ports
    for n, st in ports.items():
        packed = int(st["features"], 16) >> VIRTIO_F_RING_PACKED & 1
        assert packed == (virtqueues == "packed"), (n, virtqueues, st["features"])
    return run


def main():
    switch, c2c = sys.argv[1:3]
    tmp = tempfile.mkdtemp(prefix="vs-runner-smoke-")
    try:
        data, pid = sweep(switch, c2c, tmp, "sweep")
        run = the_run(data, "split")
        assert run["busy_cycles_per_packet"] and run["busy_cycles_per_packet"] > 0, run
        for k in ("c2c_rtt_ns", "c2c_rtt_ns_after"):
            assert isinstance(run[k], float) and run[k] > 0, (k, run.get(k))
        assert run["c2c_waited_s"] < 5, run["c2c_waited_s"]
        assert os.path.exists(os.path.join(tmp, "sweep", "runs", "64-r1-vhostswitch.json"))
        summ = data["summary"]["sizes"]["64"]["vhostswitch"]
        assert summ["mpps"]["median"] > 0, summ
        packed, ppid = sweep(switch, c2c, tmp, "packed", ["--packed"])
        the_run(packed, "packed")
        for p in (pid, ppid):
            tag = "vsrun-*-%d-*" % p
            left = glob.glob("/dev/hugepages/" + tag) + glob.glob("/var/run/dpdk/" + tag)
            assert not left, "left behind: %s" % left
        # vs-c2c itself: a figure, and one-line refusals of bad arguments.
        r = subprocess.run([c2c, "0", "1", "1000"], capture_output=True, text=True)
        assert r.returncode == 0 and json.loads(r.stdout)["rtt_ns"] > 0, r
        for bad, msg in ((["0", "0"], "vs-c2c: the two CPUs must differ\n"),
                         (["0", "x"], "usage: vs-c2c [CPU_A CPU_B [ROUND_TRIPS]]\n"),
                         (["0", "1", "0"], "usage: vs-c2c [CPU_A CPU_B [ROUND_TRIPS]]\n")):
            r = subprocess.run([c2c] + bad, capture_output=True, text=True)
            assert (r.returncode, r.stdout, r.stderr) == (2, "", msg), (bad, r)
        print("ok: %.3f Mpps, %.0f busy cycles/packet"
              % (run["frontend_rx_pps"] / 1e6, run["busy_cycles_per_packet"]))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
