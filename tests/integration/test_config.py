#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""config: a start-up config file (ports of both modes, a port added and
removed again, ageing, static FDB entries, comments, blank lines, a line
of the longest length) passes --check and starts the switch with exactly
that state, as vhostswitch-ctl shows it, and forwarding follows it; no
telemetry or control answer shows the file half-applied. Bad
files stop start-up with exit status 2 and exactly "vhostswitch:
FILE:LINE: message" on stderr, having created no socket and no hugepage
file."""

import os
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vstest as vt  # noqa: E402

LINE_MAX = 1024
CHURN = 40  # port add/del pairs in the good file
MAC1 = "52:54:00:00:00:01"
MAC2 = "52:54:00:00:00:02"


def good_config(d):
    """The text of the good file, its line count, and the ports it makes:
    [(name, socket, mode)]."""
    vm1 = os.path.join(d, "vm1.sock")
    vm2 = os.path.join(d, "vm-2.sock")
    up = os.path.join(d, "up link.sock")
    tmp = os.path.join(d, "tmp.sock")
    longest = "#" + "-" * (LINE_MAX - 1)
    lines = [
        "# vhostswitch start-up configuration",
        f"port add vhost vm1 socket {vm1}",
        "",
        "   # an indented comment, then a blank line with a tab",
        "\t",
        f"port add vhost vm-2 socket {vm2}   # a trailing comment",
        f'port add vhost up socket "{up}" client',
        f"port add vhost tmp socket {tmp} queues 1",
        "port del tmp",
    ]
    # Ports that come and go while the file runs: nobody may see them.
    # (The control socket and telemetry answer only once it has run.)
    for i in range(CHURN):
        lines += [f"port add vhost tmp{i} socket {os.path.join(d, f'tmp{i}.sock')}",
                  f"port del tmp{i}"]
    lines += [
        longest,
        "bridge aging 600",
        f"fdb add vm1 {MAC1}",
        f"  fdb   add   vm-2   {MAC2}  ",
        "log level data notice",
    ]
    ports = [("vm1", vm1, "server"), ("vm-2", vm2, "server"),
             ("up", up, "client")]
    return "\n".join(lines) + "\n", len(lines), ports


def first_info(sw):
    """A thread that asks sw's telemetry for /vhostswitch/info every
    millisecond, from before sw starts until it answers; its .answer is
    then (ports, fdb_entries) of that first reply."""
    def ask():
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                info = sw.tel.query("/vhostswitch/info", timeout=5)
                t.answer = (info["ports"], info["fdb_entries"])
                return
            except (OSError, ValueError, KeyError):
                time.sleep(0.001)
    t = threading.Thread(target=ask, daemon=True)
    t.answer = None
    t.start()
    return t


def longest_line(text):
    return max(text.split("\n"), key=len)


def bad_configs(d):
    """(file contents as bytes, line, message) of files the switch must
    refuse."""
    vm1 = os.path.join(d, "vm1.sock")
    ok1 = f"port add vhost vm1 socket {vm1}\n".encode()
    return [
        (ok1 + b"# a comment\nfrobnicate now\n", 3,
         "unknown command 'frobnicate' (try 'help')"),
        (ok1 + f"port add vhost vm1 socket {d}/other.sock\n".encode(), 2,
         "a port named 'vm1' exists"),
        (ok1 + f"port add vhost vm2 socket {vm1} client\n".encode(), 2,
         f"socket {vm1} is used by another port"),
        (ok1 + b"\nfdb add vm1 52:54:00:00:01\n", 3,
         "'52:54:00:00:01' is not a MAC address (xx:xx:xx:xx:xx:xx)"),
        (ok1 + b"fdb add vm1 01:80:c2:00:00:0e\n", 2,
         "01:80:c2:00:00:0e is not a station address (zero or group)"),
        (f"port add vhost vm1 socket {d}/missing/vm1.sock\n".encode(), 1,
         f"directory {d}/missing does not exist"),
        (ok1 + b"# " + b"x" * (LINE_MAX - 1) + b"\n", 2,
         f"line longer than {LINE_MAX} bytes"),
        (ok1 + b"bridge aging 6\x0000\n", 2, "NUL byte in line"),
        (ok1 + b"bridge aging\x01 5\n", 2, "control character in command"),
        (ok1 + b"port del vm1\nfdb add vm1 52:54:00:00:00:01\n", 3,
         "no port named 'vm1'"),
        (b"port del ghost\n", 1, "no port named 'ghost'"),
        (ok1 + b"bridge aging 0\n", 2,
         "aging must be a number from 1 to 1000000, not '0'"),
        (ok1 + b'port add vhost vm2 socket "unterminated\n', 2,
         "unterminated quote"),
        (ok1 + b"port add eth e0 devargs 0000:00:01.0\n", 2,
         "expected 'dev DEVARGS' after the port name"),
        (ok1 + b"log level foo debug\n", 2,
         "unknown component 'foo' (all config data vhost eal)"),
        (ok1 + b"port show\n", 2, "usage: port show NAME"),
    ]


def switch_args(sw_bin, prefix, d, config, extra=()):
    return [sw_bin, "-l", "0,1", "--main-lcore", "0", "--no-pci",
            "--file-prefix", prefix, "--", "--config", config,
            "--stats-interval", "0", "--ctl-socket",
            os.path.join(d, "ctl.sock")] + list(extra)


def check_refused(soft, sw_bin, what, d, config, expected, extra=()):
    """The switch refuses to start: exit status 2, exactly expected on
    stderr, and nothing created: no socket, no hugepage file, no DPDK
    runtime directory."""
    prefix = vt.new_prefix("cfb")
    before = sorted(os.listdir(d))
    rc, out, err = vt.run_to_exit(switch_args(sw_bin, prefix, d, config,
                                              extra))
    soft.eq((rc, err), (2, expected + "\n"), f"{what}: exit status, stderr")
    soft.eq(out, "", f"{what}: stdout")
    soft.eq(sorted(os.listdir(d)), before, f"{what}: files in {d}")
    soft.eq(vt.prefix_files(prefix), [], f"{what}: DPDK files of {prefix}")


def body(sw_bin, tg_bin):
    vt.require_hugepages()
    ctl_bin = vt.ctl_binary(sw_bin)
    vt.check(os.access(ctl_bin, os.X_OK), f"no vhostswitch-ctl at {ctl_bin}")
    soft = vt.Soft()

    vt.log("bad files")
    for i, (data, line, msg) in enumerate(bad_configs("@DIR@")):
        d = vt.new_dir()
        cfg = os.path.join(d, f"bad{i}.conf")
        with open(cfg, "wb") as f:
            f.write(data.replace(b"@DIR@", d.encode()))
        msg = msg.replace("@DIR@", d)
        check_refused(soft, sw_bin, f"bad file {i} ({msg})", d, cfg,
                      f"vhostswitch: {cfg}:{line}: {msg}")
        # --check says the same.
        rc, out, err = vt.run_to_exit([sw_bin, "--", "--config", cfg,
                                       "--check"])
        soft.eq((rc, out, err), (2, "", f"vhostswitch: {cfg}:{line}: {msg}\n"),
                f"--check of bad file {i}")
    d = vt.new_dir()
    missing = os.path.join(d, "none.conf")
    check_refused(soft, sw_bin, "no such file", d, missing,
                  f"vhostswitch: {missing}: No such file or directory")

    vt.log("the good file: --check")
    d = vt.new_dir()
    text, nlines, ports = good_config(d)
    cfg = os.path.join(d, "vhostswitch.conf")
    with open(cfg, "w") as f:
        f.write(text)
    # A port option that clashes with the file is refused after it.
    check_refused(soft, sw_bin, "--vhost clashing with the file", d, cfg,
                  "vhostswitch: command line:1: a port named 'vm1' exists",
                  extra=["--vhost", f"vm1={d}/x.sock"])
    prefix = vt.new_prefix("cfc")
    rc, out, err = vt.run_to_exit([sw_bin, "-l", "0,1", "--no-pci",
                                   "--file-prefix", prefix, "--",
                                   "--config", cfg, "--check"])
    soft.eq((rc, out, err),
            (0, f"vhostswitch: configuration OK ({nlines} lines)\n", ""),
            "--check of the good file")
    soft.eq(sorted(os.listdir(d)), ["vhostswitch.conf"],
            "files after --check")
    soft.eq(vt.prefix_files(prefix), [], "DPDK files after --check")
    # CRLF line ends: the '\r' ends the line like a blank, so the file
    # is as good; a line of the longest length stays within the limit, as
    # it does on the control socket, which strips the '\r'.
    crlf = os.path.join(d, "crlf.conf")
    with open(crlf, "w") as f:
        f.write(text.replace(longest_line(text) + "\n", "").replace(
            "\n", "\r\n"))
    rc, out, err = vt.run_to_exit([sw_bin, "--", "--config", crlf, "--check"])
    soft.eq((rc, out, err),
            (0, f"vhostswitch: configuration OK ({nlines - 1} lines)\n", ""),
            "--check of the good file with CRLF line ends")
    with open(crlf, "w") as f:
        f.write(longest_line(text) + "\r\n")
    rc, out, err = vt.run_to_exit([sw_bin, "--", "--config", crlf, "--check"])
    soft.eq((rc, out, err),
            (0, "vhostswitch: configuration OK (1 lines)\n", ""),
            f"--check of a {LINE_MAX}-byte line with a CRLF line end")
    os.unlink(crlf)

    vt.log("the good file: the switch starts with exactly its state")
    sw = vt.ConfigSwitch(sw_bin, cfg, ports, d)
    first = first_info(sw)
    sw.start()
    first.join(30)
    # The first answer telemetry gives, asked for as soon as its socket
    # takes a query, already holds the whole file: its ports (not those
    # that came and went) and its static entries.
    soft.eq(first.answer, (len(ports), 2),
            "first telemetry answer: (ports, fdb_entries)")
    ctl = vt.Ctl(ctl_bin, vt.ctl_socket(sw))
    rows = ctl.json("port", "list")["ports"]
    soft.eq([{k: r[k] for k in ("name", "kind", "state", "mode", "socket")}
             for r in rows],
            [{"name": n, "kind": "vhost", "state": "down", "mode": m,
              "socket": p} for n, p, m in ports], "port list")
    fdb = ctl.json("fdb", "show")
    soft.eq(fdb, {"count": 2, "aging": 600, "entries": [
        e for e in fdb["entries"]]}, "fdb show count and aging")
    soft.eq(sorted((e["mac"], e["port"], e["type"], e["age"])
                   for e in fdb["entries"]),
            [(MAC1, "vm1", "static", "-"), (MAC2, "vm-2", "static", "-")],
            "fdb show entries")
    soft.eq(ctl.json("lcore", "show")["lcores"][0]["polls"],
            "vm1:0 vm-2:0 up:0", "lcore show")
    soft.eq(sorted(os.listdir(d)),
            sorted(["vhostswitch.conf", "vm1.sock", "vm-2.sock", "ctl.sock",
                    os.path.basename(sw.logpath)]),
            "files of the running switch (tmp.sock removed by 'port del')")
    soft.true("vhostswitch: 3 ports, 1 worker(s), control socket "
              f"{vt.ctl_socket(sw)}; waiting for guests" in sw.output(),
              f"start-up line in:\n{sw.output()}")

    vt.log("forwarding follows the static entries")
    g = vt.Guest(tg_bin, [("vm1", sw.sockets["vm1"], MAC1),
                          ("vm-2", sw.sockets["vm-2"], MAC2)], d).start()
    g.wait_up()
    sw.wait_state(["vm1", "vm-2"], "up")
    p1, p2 = g.ports
    vt.transfer(sw, p2, MAC1, [p1], [p2], 1000, 128, 1)
    vt.transfer(sw, p1, MAC2, [p2], [p1], 1000, 128, 2)
    sw.wait_no_mbufs_in_use()

    vt.check_eq(ctl.message("shutdown"), "shutting down", "shutdown")
    vt.wait_for(lambda: not sw.alive(), 20, "the switch to exit")
    rc, _ = sw.stop()
    vt.check_eq(rc, 0, "exit status after shutdown")
    soft.eq(sorted(f for f in os.listdir(d) if not f.endswith(".log")),
            ["vhostswitch.conf"], "files after shutdown")
    g.quit()
    soft.fail()


if __name__ == "__main__":
    vt.run(body)
