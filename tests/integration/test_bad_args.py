#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""bad_args: the switch refuses bad command lines with exit status 2 and
one clear line on stderr, before it touches the EAL or creates a socket;
a port it cannot create fails with status 1 and names the cause; --help
and --version exit 0."""

import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vstest as vt  # noqa: E402


def run_switch(sw_bin, own_args, eal=True, timeout=30):
    args = [sw_bin]
    if eal:
        args += ["-l", "0,1", "--main-lcore", "0", "--no-pci",
                 "--file-prefix", vt.new_prefix("ba"), "--"]
    args += own_args
    vt.log("run: " + " ".join(args))
    proc = vt.spawn(args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        vt.forget(proc)
        raise vt.TestFailure(f"{own_args}: still running after {timeout}s")
    vt.forget(proc)
    return proc.returncode, out.decode(errors="replace"), \
        err.decode(errors="replace")


def body(sw_bin, tg_bin):
    d = vt.new_dir()
    sock = os.path.join(d, "a.sock")
    sock2 = os.path.join(d, "b.sock")
    missing = os.path.join(d, "missing")

    # (own arguments, what the one stderr line must say: each entry is a
    # word it must hold, or a tuple of words of which it must hold one).
    # The wording is the switch's; the tests ask only that the line names
    # the offending value and says what is wrong with it.
    usage_errors = [
        (["--bogus"], ["unknown", "--bogus"]),
        (["--vhost", f"x={sock}", "--vhost", f"x={sock2}"],
         ["'x'", ("two ports", "exists", "duplicate")]),
        (["--vhost", f"x={sock}", "--vhost", f"y={sock}"],
         [sock, ("two ports", "used by", "duplicate")]),
        (["--fdb-size", "0"], ["--fdb-size", "'0'"]),
        (["--fdb-size", "many"], ["--fdb-size", "'many'"]),
        (["--mbufs", "5"], ["--mbufs", "'5'"]),
        # A known option without its value is not an "unknown option".
        (["--vhost"], ["--vhost", ("needs a value", "requires an argument",
                                   "missing")]),
        (["--vhost", "bad name=" + sock], ["bad name", ("bad", "invalid")]),
        (["--stats-interval", "-1"], ["--stats-interval", "'-1'"]),
        (["stray"], ["stray", ("unexpected", "unknown")]),
    ]

    def says(line, words):
        return all(any(w in line for w in (word if isinstance(word, tuple)
                                           else (word,)))
                   for word in words)

    failures = []
    for own, words in usage_errors:
        rc, out, err = run_switch(sw_bin, own)
        lines = err.strip().splitlines()
        problems = []
        if rc != 2:
            problems.append(f"exit status {rc}, expected 2")
        if len(lines) != 1:
            problems.append(f"{len(lines)} stderr lines, expected 1")
        if not lines or not lines[0].startswith("vhostswitch: ") or \
                not says(lines[0], words):
            problems.append(f"stderr does not say {words}")
        if os.listdir(d):
            problems.append(f"left files behind: {os.listdir(d)}")
        if problems:
            failures.append(f"{own}: " + "; ".join(problems) +
                            f"\n    stderr: {err!r}\n    stdout: {out[:300]!r}")

    # A socket in a directory that does not exist is caught by the dry run
    # of the start-up commands, before EAL starts: status 2, and the one
    # message names the option's line and the directory.
    rc, out, err = run_switch(sw_bin, ["--vhost", f"a={missing}/a.sock",
                                       "--stats-interval", "0"])
    mine = [ln for ln in err.splitlines() if ln.startswith("vhostswitch:")]
    want = f"vhostswitch: command line:1: directory {missing} does not exist"
    if rc != 2 or mine != [want]:
        failures.append(f"missing directory: exit status {rc} (expected 2), "
                        f"messages {mine} (expected [{want!r}])")
    if os.path.exists(missing):
        failures.append(f"missing directory: {missing} was created")

    for own in (["--help"], ["-h"]):
        rc, out, err = run_switch(sw_bin, own, eal=False)
        if rc != 0 or "Usage:" not in out or "--vhost" not in out or err:
            failures.append(f"{own}: exit status {rc}, stdout {out[:80]!r}, "
                            f"stderr {err!r}")
    rc, out, err = run_switch(sw_bin, ["--help"])
    if rc != 0 or "Usage:" not in out:
        failures.append(f"-- --help: exit status {rc}, stdout {out[:80]!r}")
    rc, out, err = run_switch(sw_bin, ["--version"], eal=False)
    if rc != 0 or not out.startswith("vhostswitch "):
        failures.append(f"--version: exit status {rc}, stdout {out!r}")

    if failures:
        raise vt.TestFailure("\n  " + "\n  ".join(failures))


if __name__ == "__main__":
    vt.run(body)
