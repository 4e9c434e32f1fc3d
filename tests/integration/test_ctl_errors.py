#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""ctl_errors: bad input on the control socket, from vhostswitch-ctl and
from raw connections (unknown commands, wrong argument counts, bad MACs,
numbers out of range, duplicate and unknown ports, paths the switch cannot
serve, eth devices that cannot be probed, over-long requests, silent
clients, too many clients, binary garbage). Each gets its exact one-line error or the connection is
closed, nothing is changed, the switch stays up, and a stream in each
direction between two guests, running all along, loses and reorders
nothing."""

import json
import os
import random
import socket
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vstest as vt  # noqa: E402

STREAM_PPS = 50000
# The streaming guest's rings: a loss must come from the switch, not from
# a guest the loaded machine kept off the CPU for longer than its rx ring
# lasts (8192 frames: 160 ms at STREAM_PPS).
STREAM_QUEUE_SIZE = 8192
LINE_MAX = 1024
CLIENTS_MAX = 32


class Prefix(str):
    """An expected message of which only the start is the switch's (the
    rest comes from DPDK)."""


def command_errors(d, sock):
    """(words, the switch's exact message)."""
    x = os.path.join(d, "x.sock")
    plain = os.path.join(d, "plain-file")
    aging = "aging must be a number from 1 to 1000000, not '{}'"
    notmac = "'{}' is not a MAC address (xx:xx:xx:xx:xx:xx)"
    badname = "bad port name '{}' (1-31 characters of A-Z a-z 0-9 _ - .)"
    add_usage = ("usage: port add vhost NAME socket PATH [client] [queues N] "
                 "[offload on|off]")
    return [
        # Unknown commands.
        (["frobnicate"], "unknown command 'frobnicate' (try 'help')"),
        (["port"], "unknown command 'port' (try 'help')"),
        (["port", "frob", "a"], "unknown command 'port' (try 'help')"),
        (["PORT", "list"], "unknown command 'PORT' (try 'help')"),
        (["x" * 60], "unknown command '" + "x" * 36 + "...' (try 'help')"),
        # Wrong argument counts: the usage line.
        (["port", "show"], "usage: port show NAME"),
        (["port", "show", "a", "b"], "usage: port show NAME"),
        (["port", "del"], "usage: port del NAME"),
        (["port", "list", "all"], "usage: port list"),
        (["port", "add", "vhost", "x"], add_usage),
        (["port", "add", "vhost", "x", "socket"], add_usage),
        (["port", "add", "vhost", "x", "socket", x, "client", "queues", "1",
          "offload", "off", "client"], add_usage),
        (["port", "add", "eth", "e0"],
         "usage: port add eth NAME dev DEVARGS [queues N] [offload on|off]"),
        (["port", "add", "vhost", "x", "socket", x, "offload"],
         "offload needs on or off"),
        (["port", "add", "vhost", "x", "socket", x, "offload", "maybe"],
         "offload must be on or off, not 'maybe'"),
        (["port", "add", "eth", "e0", "dev", "net_null0", "offload", "0"],
         "offload must be on or off, not '0'"),
        (["stats", "a", "b"], "usage: stats [NAME]"),
        (["stats", "clear", "a"], "usage: stats clear"),
        (["fdb", "show", "a"], "usage: fdb show"),
        (["fdb", "flush", "a", "b"], "usage: fdb flush [NAME]"),
        (["fdb", "add", "a"], "usage: fdb add NAME MAC"),
        (["fdb", "del"], "usage: fdb del MAC"),
        (["bridge", "aging"], "usage: bridge aging SECONDS"),
        (["xconnect", "a"], "usage: xconnect NAME NAME"),
        (["xconnect", "del"], "usage: xconnect del NAME"),
        (["lcore", "show", "1"], "usage: lcore show"),
        (["log", "level", "data", "debug", "now"],
         "usage: log level [COMPONENT] LEVEL"),
        (["version", "1"], "usage: version"),
        (["shutdown", "now"], "usage: shutdown"),
        (["help", "me"], "usage: help"),
        # Bad MACs.
        (["fdb", "del", "zz:zz:zz:zz:zz:zz"],
         notmac.format("zz:zz:zz:zz:zz:zz")),
        (["fdb", "add", "a", "02:00:00:00:00"],
         notmac.format("02:00:00:00:00")),
        (["fdb", "add", "a", "02:00:00:00:00:001"],
         notmac.format("02:00:00:00:00:001")),
        (["fdb", "add", "a", "02-00-00-00-00-01"],
         notmac.format("02-00-00-00-00-01")),
        (["fdb", "add", "a", "0200.0000.0001"],
         notmac.format("0200.0000.0001")),
        (["fdb", "add", "a", "ff:ff:ff:ff:ff:ff"],
         "ff:ff:ff:ff:ff:ff is not a station address (zero or group)"),
        (["fdb", "add", "a", "00:00:00:00:00:00"],
         "00:00:00:00:00:00 is not a station address (zero or group)"),
        # Numbers out of range or not numbers.
        (["bridge", "aging", "0"], aging.format("0")),
        (["bridge", "aging", "1000001"], aging.format("1000001")),
        (["bridge", "aging", "-1"], aging.format("-1")),
        (["bridge", "aging", "+5"], aging.format("+5")),
        (["bridge", "aging", "12abc"], aging.format("12abc")),
        (["bridge", "aging", "99999999999999999999999"],
         aging.format("99999999999999999999999")),
        (["bridge", "aging", "9" * 60], aging.format("9" * 36 + "...")),
        (["port", "add", "vhost", "x", "socket", x, "queues", "0"],
         "queues must be a number from 1 to 16, not '0'"),
        (["port", "add", "vhost", "x", "socket", x, "queues", "17"],
         "queues must be a number from 1 to 16, not '17'"),
        (["port", "add", "vhost", "x", "socket", x, "queues"],
         "queues needs a number"),
        (["port", "add", "vhost", "x", "socket", x, "server"],
         "unexpected 'server' (expected client, queues N or offload on|off)"),
        (["port", "add", "vhost", "x", "sock", x],
         "expected 'socket PATH' after the port name"),
        # Duplicate names and sockets.
        (["port", "add", "vhost", "a", "socket", x],
         "a port named 'a' exists"),
        (["port", "add", "vhost", "x", "socket", sock["a"]],
         f"socket {sock['a']} is used by another port"),
        (["port", "add", "vhost", "x", "socket", sock["c"], "client"],
         f"socket {sock['c']} is used by another port"),
        # Unknown ports and bad names.
        (["port", "show", "nope"], "no port named 'nope'"),
        (["port", "del", "nope"], "no port named 'nope'"),
        (["stats", "nope"], "no port named 'nope'"),
        (["fdb", "flush", "nope"], "no port named 'nope'"),
        (["fdb", "add", "nope", "02:00:00:00:00:01"], "no port named 'nope'"),
        (["xconnect", "a", "nope"], "no port named 'nope'"),
        (["xconnect", "del", "nope"], "no port named 'nope'"),
        (["port", "add", "vhost", "bad/name", "socket", x],
         badname.format("bad/name")),
        (["port", "add", "vhost", "n" * 32, "socket", x],
         badname.format("n" * 32)),
        (["port", "show", "a b"], badname.format("a b")),
        (["port", "show", "é"], badname.format("é")),
        # Paths the switch cannot serve.
        (["port", "add", "vhost", "x", "socket",
          os.path.join(d, "missing", "x.sock")],
         f"directory {os.path.join(d, 'missing')} does not exist"),
        (["port", "add", "vhost", "x", "socket", plain],
         f"{plain} exists and is not a socket"),
        (["port", "add", "vhost", "x", "socket", "/" + "p" * 120],
         "socket path must be 1 to 107 characters"),
        (["port", "add", "vhost", "x", "socket", ""],
         "socket path must be 1 to 107 characters"),
        # eth ports: devices that cannot be probed (the switch runs with
        # --no-pci), and bad arguments.
        (["port", "add", "eth", "e0", "dev", "0000:00:01.0"],
         "cannot probe device '0000:00:01.0': No such device"),
        (["port", "add", "eth", "e0", "dev", "net_bogus0"],
         Prefix("cannot probe device 'net_bogus0': ")),
        (["port", "add", "eth", "e0", "devargs", "net_null0"],
         "expected 'dev DEVARGS' after the port name"),
        (["port", "add", "eth", "e0", "dev", ""],
         "DEVARGS must be 1 to 255 characters"),
        (["port", "add", "eth", "e0", "dev", "n" * 256],
         "DEVARGS must be 1 to 255 characters"),
        (["port", "add", "eth", "a", "dev", "net_null0"],
         "a port named 'a' exists"),
        (["port", "add", "eth", "e0", "dev", "net_null0", "queues", "0"],
         "queues must be a number from 1 to 16, not '0'"),
        (["port", "add", "eth", "e0", "dev", "net_null0", "rss"],
         "unexpected 'rss' (expected queues N or offload on|off)"),
    ]


def padded(prefix, total):
    """A request line of exactly total bytes (without its newline): prefix,
    then blanks, which the tokenizer ignores."""
    return prefix + b" " * (total - len(prefix))


def raw_cases():
    """(what, bytes to send, [(status, body) replies expected], closed
    afterwards). body None: any one-line body (checked separately)."""
    long_msg = b"request longer than 1024 bytes\n"
    nul = b"request contains a NUL byte\n"
    ctrl = b"control character in command\n"
    garbage = bytearray(random.Random(7).randbytes(600))
    garbage[100] = 0
    return [
        ("empty line", b"\n", [("ok", b"")], False),
        ("json, no command", b"json\n", [("ok", b"{}\n")], False),
        ("CRLF", b"text fdb flush nope\r\n",
         [("error", b"no port named 'nope'\n")], False),
        ("two requests in one write",
         b"text stats nope\njson port show nope\n",
         [("error", b"no port named 'nope'\n"),
          ("error", b'{"error":"no port named \'nope\'"}\n')], False),
        ("request of exactly 1024 bytes", padded(b"text fdb flush nope",
                                                 LINE_MAX) + b"\n",
         [("error", b"no port named 'nope'\n")], False),
        ("request of exactly 1024 bytes, CRLF",
         padded(b"text fdb flush nope", LINE_MAX) + b"\r\n",
         [("error", b"no port named 'nope'\n")], False),
        ("request of 1025 bytes", padded(b"text fdb flush nope", LINE_MAX + 1)
         + b"\n", [("error", long_msg)], True),
        ("request of 1025 bytes, no prefix",
         padded(b"fdb flush nope", LINE_MAX + 1) + b"\n",
         [("error", long_msg)], True),
        ("request of 1030 bytes", padded(b"json fdb flush nope", 1030) + b"\n",
         [("error", long_msg)], True),
        ("request of 2000 bytes", b"x" * 2000 + b"\n",
         [("error", long_msg)], True),
        ("100000 bytes, no newline", b"y" * 100000, [("error", long_msg)],
         True),
        ("NUL bytes", b"\x00\x01\x02abc\n", [("error", nul)], True),
        ("a NUL at the end of a good request", b"text version\x00\n",
         [("error", nul)], True),
        ("600 random bytes", bytes(garbage), [("error", nul)], True),
        ("control characters", b"\x01\x02\x1b[31m\n", [("error", ctrl)],
         False),
        ("DEL in an argument", b"text port show a\x7f\n", [("error", ctrl)],
         False),
        ("escape in a quoted argument", b'text port show "a\x1b"\n',
         [("error", ctrl)], False),
        ("control character, json", b"json port\x01 list\n",
         [("error", b'{"error":"control character in command"}\n')], False),
        ("unterminated quote", b'text port show "a\n',
         [("error", b"unterminated quote\n")], False),
        ("too many words", b"text " + b"w " * 21 + b"\n",
         [("error", b"too many words\n")], False),
        ("high bytes, text", b"text \x80\xff\xfe\n", [("error", None)], False),
        ("high bytes, json", b"json \x80\xff\xfe junk\n", [("error", None)],
         False),
        ("invalid UTF-8 port name, json", b"json port show \xc3(\n",
         [("error", None)], False),
    ]


def check_raw(soft, path, what, data, replies, closed):
    vt.log(f"raw: {what}")
    conn = vt.CtlConn(path)
    try:
        try:
            conn.send(data)
        except OSError as e:
            # The switch may close before it read everything we sent.
            vt.log(f"  send: {e!r}")
        for i, (status, body) in enumerate(replies):
            got = soft(conn.reply)
            if got is None:
                return
            if body is not None:
                soft.eq(got, (status, body), f"raw {what}: reply {i}")
                continue
            soft.eq(got[0], status, f"raw {what}: reply {i} status")
            text = got[1]
            soft.true(text.endswith(b"\n") and text.count(b"\n") == 1,
                      f"raw {what}: reply {i} is not one line: {text!r}")
            if data.startswith(b"json"):
                # JSON is UTF-8 (RFC 8259); a reply must parse whatever
                # bytes the client sent.
                try:
                    obj = json.loads(text)
                    soft.true(isinstance(obj, dict) and list(obj) == ["error"],
                              f"raw {what}: reply {i} {obj!r}")
                except ValueError as e:
                    soft.true(False, f"raw {what}: json reply is not valid "
                              f"JSON ({e}): {text!r}")
        # Waiting for a close returns as soon as it comes; "still open"
        # can only be seen by waiting a little.
        soft.eq(soft(conn.closed, 5.0 if closed else 0.3), closed,
                f"raw {what}: connection closed afterwards")
    finally:
        conn.close()


def log_drops(sw, phase):
    """Diagnostics only: which phase a loss of the streams came in."""
    drops = {n: {k: v for k, v in c.items() if k.startswith("drop_") and v}
             for n, c in sw.ports().items()}
    drops = {n: d for n, d in drops.items() if d}
    if drops:
        vt.log(f"after {phase}: switch drops so far {drops}")


def body(sw_bin, tg_bin):
    ctl_bin = vt.ctl_binary(sw_bin)
    vt.check(os.access(ctl_bin, os.X_OK), f"no vhostswitch-ctl at {ctl_bin}")
    vt.require_hugepages()
    # Port c has no guest: commands may name it.
    sw = vt.Switch(sw_bin, ("a", "b", "c")).start()
    g = vt.Guest(tg_bin, [(n, sw.sockets[n], vt.mac_of(0x0a + i))
                          for i, n in enumerate("ab")], sw.dir,
                 queue_size=STREAM_QUEUE_SIZE).start()
    guests = [g]
    g.wait_up()
    sw.wait_state(["a", "b"], "up")
    a, b = g.ports
    ctl = vt.Ctl(ctl_bin, vt.ctl_socket(sw))
    path = vt.ctl_socket(sw)
    soft = vt.Soft()
    vt.learn(sw, [a, b])
    before = sw.snapshot()
    flows = {1: (a, b), 2: (b, a)}
    a.stream_start(b.mac, STREAM_PPS, length=128, flow=1)
    b.stream_start(a.mac, STREAM_PPS, length=128, flow=2)
    vt.wait_flow(b, a.mac, 1, 1000)
    vt.wait_flow(a, b.mac, 2, 1000)

    d = sw.dir
    with open(os.path.join(d, "plain-file"), "w") as f:
        f.write("not a socket\n")
    files_before = sorted(os.listdir(d))

    vt.log("vhostswitch-ctl: refused commands, text and --json")
    for words, msg in command_errors(d, sw.sockets):
        for json_out in (False, True):
            got = soft(ctl.refused, *words, json_out=json_out)
            what = f"refusal of {'--json ' if json_out else ''}{words}"
            if isinstance(msg, Prefix):
                soft.true(got is not None and got.startswith(msg),
                          f"{what}: expected {msg!r}..., got {got!r}")
            else:
                soft.eq(got, msg, what)
        vt.check(sw.alive(), f"switch died after {words}")

    log_drops(sw, "the refused commands")
    vt.log("raw connections")
    for what, data, replies, closed in raw_cases():
        check_raw(soft, path, what, data, replies, closed)
        vt.check(sw.alive(), f"switch died after raw {what}")

    log_drops(sw, "the raw connections")
    vt.log("a silent client, and one that stops mid-line, hold nobody up")
    silent = vt.CtlConn(path)
    partial = vt.CtlConn(path)
    partial.send(b"text vers")
    soft.eq(ctl.message("fdb", "flush", "c"), "0 entries flushed",
            "a command beside silent clients")
    soft.eq(len(ctl.json("port", "list")["ports"]), 3,
            "port list beside silent clients")
    partial.send(b"ion\n")
    status, text = partial.reply()
    soft.true(status == "ok" and text.startswith(b"version "),
              f"the completed line: {status} {text!r}")
    soft.eq(silent.closed(0.3), False, "the silent client's connection")
    # A client that sends a request and leaves without reading the reply,
    # and one that half-closes after its request.
    gone = vt.CtlConn(path)
    gone.send(b"text help\n")
    gone.close()
    half = vt.CtlConn(path)
    half.send(b"text fdb flush nope\n")
    half.sock.shutdown(socket.SHUT_WR)
    soft.eq(half.reply(), ("error", b"no port named 'nope'\n"),
            "reply to a half-closed client")
    soft.eq(half.closed(20.0), True, "half-closed client closed after reply")
    for c in (silent, partial, half):
        c.close()

    log_drops(sw, "the silent clients")
    vt.log(f"{CLIENTS_MAX + 8} clients at once")
    conns = [vt.CtlConn(path) for _ in range(CLIENTS_MAX + 8)]
    got = []
    for c in conns:
        try:
            c.send(b"text fdb flush nope\n")
        except OSError:
            pass
    for c in conns:
        got.append(soft(c.reply))
    served = sum(1 for r in got if r == ("error", b"no port named 'nope'\n"))
    refused = sum(1 for r in got if r == ("error",
                                          b"too many control clients\n"))
    soft.eq((served, refused), (CLIENTS_MAX, 8),
            f"served and refused clients: {got}")
    # The switch may close the connection before vhostswitch-ctl's request
    # is written (exit 2, "cannot send"), or after (exit 1 and the reason).
    r = ctl.run("version")
    soft.true(r.rc == 2 or (r.rc, r.err) == (
        1, "vhostswitch-ctl: too many control clients\n"),
        f"vhostswitch-ctl while every slot is taken: {r!r}")
    for c in conns:
        c.close()
    vt.wait_for(lambda: ctl.run("version").rc == 0, 10,
                "the control socket to serve again once the clients left")

    log_drops(sw, "the clients at once")
    vt.log("nothing changed, the switch is up, the streams are whole")
    vt.check(sw.alive(), "switch alive")
    soft.eq(sorted(os.listdir(d)), files_before,
            "files in the socket directory")
    ports = ctl.json("port", "list")["ports"]
    soft.eq([(r["name"], r["state"]) for r in ports],
            [("a", "up"), ("b", "up"), ("c", "down")], "port list at the end")
    fdb = ctl.json("fdb", "show")
    soft.eq(({e["mac"]: e["port"] for e in fdb["entries"]}, fdb["aging"]),
            ({a.mac: "a", b.mac: "b"}, 300), "fdb at the end")
    sent = vt.stop_streams([g])
    vt.log(f"streams stopped: sent {sent}")
    vt.check_streams_exact(flows, sent)
    delta = sw.delta(before)
    vt.check_no_drops(delta)
    # Refused commands touched no guest: no connect or disconnect either.
    vt.check_dict(delta["a"], {"rx_packets": sent[1], "tx_packets": sent[2],
                               "connects": 0, "disconnects": 0},
                  "switch port a")
    vt.check_dict(delta["b"], {"rx_packets": sent[2], "tx_packets": sent[1],
                               "connects": 0, "disconnects": 0},
                  "switch port b")
    vt.check_dict(delta["c"], {"rx_packets": 0, "tx_packets": 0,
                               "connects": 0, "disconnects": 0},
                  "switch port c")
    vt.finish(sw, guests)
    soft.fail()


if __name__ == "__main__":
    vt.run(body)
