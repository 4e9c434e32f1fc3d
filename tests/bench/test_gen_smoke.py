#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""gen_smoke: vs-gen through the real switch. A generator port sends an
exact number of frames at a modest rate to a sink port on the other switch
port; every frame arrives, once, in order, with latency percentiles in
order; the switch's mbuf pool is full again afterwards. Then the same with
IMIX frames over many source MACs and flows; a generator and a sink in
two processes (the sink knows the stream, not what was sent); bad options
refused with one line and exit status 2; --help needs no EAL.

Run as: test_gen_smoke.py VHOSTSWITCH VS_GEN. Process, socket and hugepage
clean-up is vstest's (tests/integration), on every path."""

import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "integration"))
import vstest as vt  # noqa: E402

MACS = ("02:00:00:00:00:01", "02:00:00:00:00:02")
# Modest on purpose: the switch's worker and vs-gen share two cores with
# whatever else runs, and a 4096-entry ring absorbs 200 ms at 20 kpps.
RATE = 20000
RING = 4096


def gen_args(gen_bin, sw, opts):
    a = [gen_bin, "-l", "0", "--no-pci", "--in-memory",
         "--single-file-segments", "--no-telemetry", "--file-prefix",
         vt.new_prefix("gen"), "--log-level", "*:notice"]
    for i, (name, mac) in enumerate(zip(sw.names, MACS)):
        a += ["--vdev", f"net_virtio_user{i},path={sw.sockets[name]},"
              f"mac={mac},queue_size={RING}"]
    # A generous drain: it ends as soon as every frame is in.
    return a + ["--", "--ring", str(RING), "--idle-sleep", "20",
                "--drain", "10000"] + opts


def run_gen(gen_bin, sw, opts, timeout=60):
    rc, out, err = vt.run_to_exit(gen_args(gen_bin, sw, opts), timeout)
    vt.check_eq(rc, 0, f"vs-gen exit status (stderr: {err[-2000:]})")
    lines = [ln for ln in out.split("\n") if ln.startswith("{")]
    vt.check(lines, f"no JSON line in vs-gen's output:\n{out}")
    vt.log("vs-gen: " + "\n".join(ln for ln in out.split("\n")
                                  if not ln.startswith("{")))
    return json.loads(lines[-1])


def check_exact(res, count, what):
    vt.check_dict(res, {"tx_packets": count, "rx_packets": count, "lost": 0,
                        "reordered": 0, "duplicates": 0, "rx_foreign": 0},
                  what)
    vt.check_eq(len(res["streams"]), 1, f"{what}: streams")
    vt.check_dict(res["streams"][0], {
        "stream": 0, "dst": MACS[1], "tx_packets": count,
        "rx_packets": count, "lost": 0}, f"{what}: stream 0")
    lat = res["latency_ns"]
    vt.check(lat is not None, f"{what}: no latency")
    vt.check_eq(lat["samples"], count, f"{what}: latency samples")
    order = [lat[k] for k in ("min", "p50", "p99", "p99.9", "max")]
    vt.check(0 < order[0] and order == sorted(order),
             f"{what}: latency percentiles out of order: {lat}")


def check_switch(sw, before, n):
    """The switch forwarded the n counted frames from a to b. Its only
    drops may be of learning frames: a broadcast that reaches a port
    whose guest has not finished attaching is dropped (not_ready,
    tx_full), and vs-gen sends it again; one sent while no other port is
    attached has nowhere to go (no_destination)."""
    d = sw.delta(before)
    learning = d["a"]["rx_packets"] - n + d["b"]["rx_packets"]
    drops = {f"{p}.{k}": v for p, c in d.items() for k, v in c.items()
             if k.startswith("drop_") and v}
    vt.check(d["a"]["rx_packets"] >= n and d["b"]["tx_packets"] >= n,
             f"switch counters: {d}")
    vt.check(set(k.split(".")[1] for k in drops) <= {
        "drop_not_ready", "drop_tx_full", "drop_no_destination"}
             and sum(drops.values()) <= learning,
             f"switch drops beyond learning frames ({learning}): {drops}")


def body(sw_bin, gen_bin):
    vt.require_hugepages()
    sw = vt.Switch(sw_bin, ports=("a", "b")).start()

    n = 10000
    vt.log(f"{n} 64-byte frames at {RATE} pps, one flow")
    before = sw.snapshot()
    res = run_gen(gen_bin, sw, ["--count", str(n), "--rate", str(RATE),
                                "--duration", "0"])
    check_exact(res, n, "64-byte run")
    vt.check_eq(res["size"], 64, "size")
    check_switch(sw, before, n)
    sw.wait_no_mbufs_in_use()

    n = 6000
    vt.log(f"{n} IMIX frames from 100 MACs in 300 flows")
    before = sw.snapshot()
    res = run_gen(gen_bin, sw, ["--count", str(n), "--rate", str(RATE),
                                "--duration", "0", "--size", "imix",
                                "--macs", "100", "--flows", "300"])
    check_exact(res, n, "IMIX run")
    vt.check_eq(res["size"], "imix", "size")
    # 7:4:1 of 64, 594 and 1518 bytes: 6000 frames are 500 patterns of 12.
    vt.check_eq(res["ports"][0]["tx_bytes"], 500 * (7 * 64 + 4 * 594 + 1518),
                "IMIX bytes")
    vt.check_eq(res["ports"][1]["rx_bytes"], res["ports"][0]["tx_bytes"],
                "IMIX bytes received")
    vt.check(sw.info()["fdb_entries"] >= 102, "the 100 source MACs learned")
    check_switch(sw, before, n)
    sw.wait_no_mbufs_in_use()

    vt.log("whole bursts: a counted run ends on a short one, a timed run does not")
    n = 1000
    before = sw.snapshot()
    res = run_gen(gen_bin, sw, ["--count", str(n), "--rate", str(RATE),
                                "--duration", "0", "--whole-bursts"])
    check_exact(res, n, "whole-burst counted run")
    vt.check_eq(res["whole_bursts"], True, "whole_bursts in the result")
    check_switch(sw, before, n)
    res = run_gen(gen_bin, sw, ["--rate", str(RATE), "--duration", "0.5",
                                "--whole-bursts", "--burst", "25"])
    sent = res["ports"][0]["tx_packets"]
    vt.check(sent >= 25 and sent % 25 == 0,
             f"a timed whole-burst run sends bursts of 25: {sent} frames")
    vt.check_eq(res["ports"][1]["rx_packets"], sent, "whole bursts received")
    sw.wait_no_mbufs_in_use()

    vt.log("generator and sink in two processes (two guests)")
    before = sw.snapshot()
    n = 2000
    eal = ["-l", "0", "--no-pci", "--in-memory", "--single-file-segments",
           "--no-telemetry", "--log-level", "*:notice"]
    sink = vt.spawn([gen_bin] + eal + [
        "--file-prefix", vt.new_prefix("sink"), "--vdev",
        f"net_virtio_user0,path={sw.sockets['b']},mac={MACS[1]},"
        f"queue_size={RING}", "--", "--ring", str(RING), "--roles", "sink", "--count", str(n), "--duration", "60", "--idle-sleep", "20"],
        stdin=vt.subprocess.DEVNULL, stdout=vt.subprocess.PIPE,
        stderr=vt.subprocess.PIPE)
    vt.wait_for(lambda: sw.port("b")["state"] == "up", 15, "the sink attached")
    rc, out, err = vt.run_to_exit([gen_bin] + eal + [
        "--file-prefix", vt.new_prefix("src"), "--vdev",
        f"net_virtio_user0,path={sw.sockets['a']},mac={MACS[0]},"
        f"queue_size={RING}", "--", "--ring", str(RING), "--roles", "gen", "--dst", MACS[1], "--count", str(n), "--rate",
        str(RATE), "--duration", "0", "--stream-base", "7",
        "--idle-sleep", "20"], 60)
    vt.check_eq(rc, 0, f"generator exit status (stderr: {err[-2000:]})")
    res = json.loads(out.strip().split("\n")[-1])
    vt.check_dict(res, {"tx_packets": n, "rx_packets": 0, "lost": None},
                  "generator alone")
    out, err = sink.communicate(timeout=60)
    vt.forget(sink)
    vt.check_eq(sink.returncode, 0, f"sink exit status (stderr: {err[-2000:]})")
    res = json.loads(out.decode().strip().split("\n")[-1])
    vt.check_eq(res["streams"], [{
        "stream": 7, "port": None, "tx_packets": None, "lost": None,
        "rx_packets": n, "reordered": 0, "duplicates": 0}], "sink's streams")
    vt.check_eq(res["latency_ns"]["samples"], n, "sink's latency samples")
    check_switch(sw, before, n)
    sw.wait_no_mbufs_in_use()

    vt.log("bad options: one line, exit status 2")
    for bad in (["--size", "63"], ["--rate", "fast"], ["--roles", "gen,x"],
                ["--macs", "0"], ["--flows", "10", "--macs", "20"],
                ["--duration", "0"], ["--bogus"]):
        a = [gen_bin, "-l", "0", "--no-pci", "--no-huge", "-m", "64",
             "--no-telemetry", "--file-prefix", vt.new_prefix("bad"),
             "--log-level", "*:error", "--"] + bad
        rc, out, err = vt.run_to_exit(a, 30)
        lines = [ln for ln in err.split("\n") if ln.startswith("vs-gen:")]
        vt.check(rc == 2 and len(lines) == 1 and out == "",
                 f"{bad}: rc {rc}, stdout {out!r}, stderr {err!r}")

    rc, out, err = vt.run_to_exit([gen_bin, "--", "--help"], 30)
    vt.check(rc == 0 and out.startswith("usage: vs-gen") and "--rate" in out,
             f"vs-gen -- --help: rc {rc}, stdout {out!r}, stderr {err!r}")

    rc, out = sw.stop()
    vt.check_eq(rc, 0, "switch exit status after SIGTERM")


if __name__ == "__main__":
    vt.run(body)
