#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""ctl: every command of vhostswitch-ctl against a running switch with
three guests, its text and --json output checked field by field: the port
list and details, counters equal to the frames the guests sent (and zero
after "stats clear"), the FDB with learned and static entries, flushing,
ageing, a cross-connect that takes two ports off the bridge and gives them
back, the worker's queues, log levels, version, help, ports added and
removed at run time, and "shutdown" (exit status 0, sockets removed)."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vstest as vt  # noqa: E402

STATIC_MAC = "02:00:00:00:00:99"

# The commands of the control language with their usage: "help" must list
# each (the switch may have more).
HELP = [
    "port add vhost NAME socket PATH [client] [queues N] [offload on|off]",
    "port add eth NAME dev DEVARGS [queues N] [offload on|off]",
    "port del NAME",
    "port list",
    "port show NAME",
    "stats [NAME]",
    "stats clear",
    "fdb show",
    "fdb flush [NAME]",
    "fdb add NAME MAC",
    "fdb del MAC",
    "bridge aging SECONDS",
    "xconnect NAME NAME",
    "xconnect del NAME",
    "lcore show",
    "log level [COMPONENT] LEVEL",
    "version",
    "shutdown",
    "help",
]
# Drop reasons every port reports (the switch may add more).
DROPS = ("runt", "bad_src_mac", "same_port", "no_destination", "no_mbuf",
         "not_ready", "tx_full")


def texts(row):
    """A JSON row as its text table shows it."""
    return {k: str(v) for k, v in row.items()}


def scalars(obj):
    """The fields of a JSON object that are not objects or arrays."""
    return {k: v for k, v in obj.items() if not isinstance(v, (dict, list))}


def all_drops(got, named):
    """The drop counters got should hold: every reason it reports (which
    must include DROPS), zero unless named says otherwise."""
    return {d: named.get(d, 0) for d in set(got or {}) | set(DROPS)}


class Checks:
    def __init__(self, ctl, sw):
        self.ctl, self.sw = ctl, sw
        self.soft = vt.Soft()

    def port_list(self, expected):
        """expected: {name: (state, mode, socket)}: port list, text and
        JSON, lists exactly these ports, with their kind, state, mode and
        socket."""
        want = []
        for name, (state, mode, path) in sorted(expected.items()):
            want.append({"name": name, "kind": "vhost", "state": state,
                         "mode": mode, "socket": path})
        js = self.ctl.json("port", "list")
        self.soft.eq(list(js), ["ports"], "port list --json keys")
        got = sorted(js.get("ports", []), key=lambda r: r.get("name"))
        self.soft.eq([{k: r.get(k) for k in want[0]} for r in got], want,
                     "port list --json")
        rows = vt.parse_table(self.ctl.ok("port", "list"))
        self.soft.eq(sorted(rows, key=lambda r: r.get("name")),
                     [texts(r) for r in got], "port list (text vs --json)")
        return {r["name"]: r for r in got}

    def counters(self, expected):
        """expected: {name: (rx_packets, rx_bytes, tx_packets, tx_bytes,
        {drop: n})}: stats, stats NAME, port show NAME and port list all
        say exactly that, in text and JSON."""
        js = self.ctl.json("stats")
        self.soft.eq(js.get("mbufs_in_use"), 0, "stats: mbufs_in_use")
        got = {r["name"]: r for r in js.get("ports", [])}
        self.soft.eq(sorted(got), sorted(expected), "stats: port names")
        text = vt.parse_fields(self.ctl.ok("stats"))
        self.soft.eq(text.get("mbufs_in_use"), "0", "stats (text) mbufs")
        trows = {r["name"]: r for r in vt.parse_table(text.get("ports", ""))}
        plist = {r["name"]: r for r in self.ctl.json("port", "list")["ports"]}
        for name, (rxp, rxb, txp, txb, drops) in expected.items():
            ndrops = sum(drops.values())
            row = {"name": name, "rx_packets": rxp, "rx_bytes": rxb,
                   "tx_packets": txp, "tx_bytes": txb, "drops": ndrops}
            self.soft.eq(got.get(name), row, f"stats --json, port {name}")
            self.soft.eq(trows.get(name), texts(row), f"stats, port {name}")
            self.soft.eq({k: plist.get(name, {}).get(k) for k in
                          ("rx_packets", "tx_packets", "drops")},
                         {"rx_packets": rxp, "tx_packets": txp,
                          "drops": ndrops}, f"port list counters of {name}")
            js1 = self.ctl.json("stats", name)
            alldrops = all_drops(js1.get("drops"), drops)
            # No guest here asks for offloads: no work done in software.
            one = {"name": name, "rx_packets": rxp, "rx_bytes": rxb,
                   "tx_packets": txp, "tx_bytes": txb, "tx_sw_csum": 0,
                   "tx_sw_gso": 0, "drops": alldrops}
            self.soft.eq(js1, one, f"stats {name} --json")
            t = vt.parse_fields(self.ctl.ok("stats", name))
            tdrops = vt.parse_fields(t.pop("drops", ""))
            self.soft.eq((t, tdrops), (texts(scalars(one)), texts(alldrops)),
                         f"stats {name}")
            show = self.ctl.json("port", "show", name)
            self.soft.eq({k: show.get(k) for k in one}, one,
                         f"port show {name} --json counters")

    def fdb(self, entries, aging, count=None):
        """entries: {mac: (port, type)}: fdb show, text and JSON, holds
        exactly these entries, dynamic ones with an age in seconds, static
        ones with age '-'."""
        js = self.ctl.json("fdb", "show")
        got = {e["mac"]: (e["port"], e["type"]) for e in js["entries"]}
        self.soft.eq(got, entries, "fdb show --json entries")
        self.soft.eq(len(js["entries"]), len(entries),
                     "fdb show --json: one row per MAC")
        self.soft.eq((js["count"], js["aging"]),
                     (len(entries) if count is None else count, aging),
                     "fdb show --json count and aging")
        for e in js["entries"]:
            if e["type"] == "static":
                self.soft.eq(e["age"], "-", f"age of static {e['mac']}")
            else:
                self.soft.true(e["age"].isdigit(),
                               f"age of {e['mac']}: {e['age']!r}")
        text = vt.parse_fields(self.ctl.ok("fdb", "show"))
        rows = vt.parse_table(text.pop("entries", ""))
        self.soft.eq(text, {"count": str(js["count"]),
                            "aging": str(aging)}, "fdb show (text)")
        self.soft.eq({r["mac"]: (r["port"], r["type"]) for r in rows},
                     entries, "fdb show (text) entries")
        return js

    def refused(self, words, message):
        """The switch refuses words with exactly message, in text and in
        JSON."""
        self.soft.eq(self.soft(self.ctl.refused, *words), message,
                     f"refusal of {' '.join(words)!r}")
        self.soft.eq(self.soft(self.ctl.refused, *words, json_out=True),
                     message, f"refusal of --json {' '.join(words)!r}")

    def message(self, words, message):
        self.soft.eq(self.ctl.message(*words), message, " ".join(words))


def body(sw_bin, tg_bin):
    vt.require_hugepages()
    ctl_bin = vt.ctl_binary(sw_bin)
    vt.check(os.access(ctl_bin, os.X_OK), f"no vhostswitch-ctl at {ctl_bin}")
    sw = vt.Switch(sw_bin, ("a", "b", "c")).start()
    ctl = vt.Ctl(ctl_bin, vt.ctl_socket(sw))
    ck = Checks(ctl, sw)
    soft = ck.soft
    sock = sw.sockets

    vt.log("the client itself: usage and an unreachable switch")
    r = ctl.run()
    soft.true(r.rc == 2 and r.out == "" and r.err.startswith("Usage:"),
              f"no command: expected exit 2 and the usage, got {r!r}")
    nowhere = os.path.join(sw.dir, "nowhere.sock")
    r = vt.Ctl(ctl_bin, nowhere).run("version")
    soft.eq((r.rc, r.out, r.err), (2, "", f"vhostswitch-ctl: cannot connect "
            f"to {nowhere}: No such file or directory\n"),
            "vhostswitch-ctl against no switch")

    vt.log("ports without guests")
    ck.port_list({n: ("down", "server", sock[n]) for n in "abc"})
    show = ctl.json("port", "show", "c")
    soft(vt.check_dict, show, {
        "name": "c", "kind": "vhost", "state": "down", "socket": sock["c"],
        "mode": "server", "vid": -1, "xconnect": "", "connects": 0,
        "disconnects": 0, "rx_packets": 0, "tx_packets": 0}, "port show c")
    soft.eq(show.get("drops"), all_drops(show.get("drops"), {}),
            "port show c --json drops")
    text = vt.parse_fields(ctl.ok("port", "show", "c"))
    soft.eq(vt.parse_fields(text.pop("drops", "")),
            texts(all_drops(show.get("drops"), {})),
            "port show c (text) drops")
    soft.eq({k: v for k, v in text.items() if k in scalars(show)},
            texts(scalars(show)), "port show c (text vs --json)")

    vt.log("guests on a and b, then c")
    gab = vt.Guest(tg_bin, [(n, sock[n], vt.mac_of(0x0a + i))
                            for i, n in enumerate("ab")], sw.dir,
                   tag="gab").start()
    gab.wait_up()
    sw.wait_state(["a", "b"], "up")
    ck.port_list({"a": ("up", "server", sock["a"]),
                  "b": ("up", "server", sock["b"]),
                  "c": ("down", "server", sock["c"])})
    for n in "ab":
        show = ctl.json("port", "show", n)
        soft(vt.check_dict, show, {"state": "up", "connects": 1,
                                   "disconnects": 0, "xconnect": ""},
             f"port show {n} with a guest")
        soft.true(isinstance(show.get("vid"), int) and show["vid"] >= 0,
                  f"port show {n}: vid {show.get('vid')}")
        soft.true(show.get("features", "0x0") != "0x0" and
                  show.get("vrings", 0) >= 2 and
                  int(show.get("vrings_enabled", "0x0"), 16) & 3 == 3,
                  f"port show {n}: features/vrings {show}")
    gc = vt.Guest(tg_bin, [("c", sock["c"], vt.mac_of(0x0c))], sw.dir,
                  tag="gc").start()
    gc.wait_up()
    sw.wait_state(["c"], "up")
    ck.port_list({n: ("up", "server", sock[n]) for n in "abc"})
    a, b = gab.ports
    c = gc.ports[0]
    guests = [gab, gc]
    vt.learn(sw, [a, b, c])

    vt.log("fdb show after learning")
    ck.fdb({a.mac: ("a", "dynamic"), b.mac: ("b", "dynamic"),
            c.mac: ("c", "dynamic")}, 300)

    vt.log("stats: clear, traffic, exact counts")
    ck.message(["stats", "clear"], "counters cleared")
    zero = (0, 0, 0, 0, {})
    ck.counters({"a": zero, "b": zero, "c": zero})
    vt.transfer(sw, a, b.mac, [b], [a, c], 3000, 300, 1)
    vt.transfer(sw, c, a.mac, [a], [b, c], 700, 1514, 2)
    before = sw.snapshot()
    r = b.send(a.mac, 100, length=60, flow=3, src="00:00:00:00:00:00")
    vt.check_eq(r["sent"], 100, "frames with a zero source")
    vt.expect_delta(sw, before, {"b": {"rx_packets": 100, "rx_bytes": 6000,
                                       "drop_bad_src_mac": 100}})
    ck.counters({"a": (3000, 900000, 700, 700 * 1514, {}),
                 "b": (100, 6000, 3000, 900000, {"bad_src_mac": 100}),
                 "c": (700, 700 * 1514, 0, 0, {})})
    ck.message(["stats", "clear"], "counters cleared")
    ck.counters({"a": zero, "b": zero, "c": zero})
    vt.transfer(sw, b, c.mac, [c], [a, b], 1000, 128, 4)
    ck.counters({"a": zero, "b": (1000, 128000, 0, 0, {}),
                 "c": (0, 0, 1000, 128000, {})})

    vt.log("fdb add: a static entry takes unicast to its port only")
    ck.message(["fdb", "add", "c", STATIC_MAC], f"{STATIC_MAC} -> c (static)")
    ck.fdb({a.mac: ("a", "dynamic"), b.mac: ("b", "dynamic"),
            c.mac: ("c", "dynamic"), STATIC_MAC: ("c", "static")}, 300)
    vt.transfer(sw, a, STATIC_MAC, [c], [a, b], 2000, 200, 5)
    # A static entry is pinned: a frame from its MAC elsewhere moves it not.
    r = b.send(a.mac, 1, flow=6, src=STATIC_MAC)
    vt.check_eq(r["sent"], 1, "frame from the static MAC on b")
    vt.wait_flow(a, STATIC_MAC, 6, 1)
    ck.fdb({a.mac: ("a", "dynamic"), b.mac: ("b", "dynamic"),
            c.mac: ("c", "dynamic"), STATIC_MAC: ("c", "static")}, 300)
    vt.transfer(sw, a, STATIC_MAC, [c], [a, b], 500, 100, 7)
    ck.refused(["fdb", "add", "nope", STATIC_MAC], "no port named 'nope'")
    ck.refused(["fdb", "add", "c", "01:00:5e:00:00:01"],
               "01:00:5e:00:00:01 is not a station address (zero or group)")
    ck.refused(["fdb", "add", "c", "00:00:00:00:00:00"],
               "00:00:00:00:00:00 is not a station address (zero or group)")
    ck.refused(["fdb", "add", "c", "02:00:00:00:00"],
               "'02:00:00:00:00' is not a MAC address (xx:xx:xx:xx:xx:xx)")

    vt.log("fdb del: the MAC is unknown again, so it floods")
    ck.message(["fdb", "del", STATIC_MAC], f"{STATIC_MAC} removed")
    ck.fdb({a.mac: ("a", "dynamic"), b.mac: ("b", "dynamic"),
            c.mac: ("c", "dynamic")}, 300)
    ck.refused(["fdb", "del", STATIC_MAC], f"{STATIC_MAC} is not in the FDB")
    vt.transfer(sw, a, STATIC_MAC, [b, c], [a], 500, 100, 8)

    vt.log("fdb flush [NAME]: learned entries only, exact counts")
    ck.message(["fdb", "add", "c", STATIC_MAC], f"{STATIC_MAC} -> c (static)")
    ck.message(["fdb", "flush", "c"], "1 entries flushed")
    ck.fdb({a.mac: ("a", "dynamic"), b.mac: ("b", "dynamic"),
            STATIC_MAC: ("c", "static")}, 300)
    ck.message(["fdb", "flush", "c"], "0 entries flushed")
    ck.message(["fdb", "flush"], "2 entries flushed")
    ck.fdb({STATIC_MAC: ("c", "static")}, 300)
    ck.message(["fdb", "flush"], "0 entries flushed")
    ck.refused(["fdb", "flush", "nope"], "no port named 'nope'")
    ck.message(["fdb", "del", STATIC_MAC], f"{STATIC_MAC} removed")
    ck.fdb({}, 300)

    vt.log("bridge aging")
    ck.message(["bridge", "aging", "600"], "FDB ageing time 600 s")
    ck.fdb({}, 600)
    ck.refused(["bridge", "aging", "0"],
               "aging must be a number from 1 to 1000000, not '0'")
    vt.learn(sw, [a, b, c])
    ck.message(["fdb", "add", "b", STATIC_MAC], f"{STATIC_MAC} -> b (static)")
    ck.fdb({a.mac: ("a", "dynamic"), b.mac: ("b", "dynamic"),
            c.mac: ("c", "dynamic"), STATIC_MAC: ("b", "static")}, 600)
    # With one second, the learned entries age out (the main thread ticks
    # the FDB clock every second); the static one stays.
    ck.message(["bridge", "aging", "1"], "FDB ageing time 1 s")
    vt.wait_for(lambda: ctl.json("fdb", "show")["count"] == 1, 15,
                "learned entries aged out")
    ck.fdb({STATIC_MAC: ("b", "static")}, 1)
    ck.message(["bridge", "aging", "300"], "FDB ageing time 300 s")
    ck.message(["fdb", "del", STATIC_MAC], f"{STATIC_MAC} removed")

    vt.log("xconnect a b: a's frames reach b only, whatever their address")
    vt.learn(sw, [a, b, c])
    ck.message(["xconnect", "a", "b"], "a <-> b cross-connected")
    for n, peer in (("a", "b"), ("b", "a"), ("c", "")):
        soft.eq(ctl.json("port", "show", n).get("xconnect"), peer,
                f"port show {n} --json: xconnect")
        soft.eq(vt.parse_fields(ctl.ok("port", "show", n)).get("xconnect"),
                peer, f"port show {n}: xconnect")
    ck.fdb({c.mac: ("c", "dynamic")}, 300)
    vt.transfer(sw, a, "bcast", [b], [a, c], 1000, 64, 10)
    vt.transfer(sw, a, c.mac, [b], [a, c], 1000, 64, 11)
    vt.transfer(sw, a, vt.mac_of(0x77), [b], [a, c], 500, 64, 12)
    vt.transfer(sw, b, a.mac, [a], [b, c], 1000, 1000, 13)
    vt.transfer(sw, b, "bcast", [a], [b, c], 500, 64, 14)
    # c is alone on the bridge: its frames have nowhere to go, even those
    # to a's MAC.
    for g in guests:
        g.clear()
    before = sw.snapshot()
    for dst, flow in (("bcast", 15), (a.mac, 16), (b.mac, 17)):
        r = c.send(dst, 300, flow=flow)
        vt.check_eq(r["sent"], 300, f"c -> {dst}")
    vt.expect_delta(sw, before, {"c": {"rx_packets": 900, "rx_bytes": 54000,
                                       "drop_no_destination": 900}})
    for gp in (a, b, c):
        vt.check_port_quiet(gp, "c's frames must not leave the bridge")
    # Cross-connected ports do not learn.
    ck.fdb({c.mac: ("c", "dynamic")}, 300)
    ck.refused(["xconnect", "a", "c"], "a is already cross-connected")
    ck.refused(["xconnect", "c", "b"], "b is already cross-connected")
    ck.refused(["xconnect", "c", "c"],
               "cannot cross-connect a port with itself")
    ck.refused(["xconnect", "c", "nope"], "no port named 'nope'")
    ck.refused(["xconnect", "del", "c"], "port c is not cross-connected")
    ck.refused(["fdb", "add", "a", STATIC_MAC],
               "port a is cross-connected, not bridged")

    vt.log("xconnect del: back on the bridge")
    ck.message(["xconnect", "del", "b"], "b and a back on the bridge")
    for n in "abc":
        soft.eq(ctl.json("port", "show", n).get("xconnect"), "",
                f"port show {n}: xconnect after xconnect del")
    ck.refused(["xconnect", "del", "a"], "port a is not cross-connected")
    vt.learn(sw, [a, b, c])
    ck.fdb({a.mac: ("a", "dynamic"), b.mac: ("b", "dynamic"),
            c.mac: ("c", "dynamic")}, 300)
    vt.transfer(sw, a, c.mac, [c], [a, b], 1000, 64, 18)
    vt.transfer(sw, a, "bcast", [b, c], [a], 1000, 64, 19)
    vt.transfer(sw, c, b.mac, [b], [a, c], 1000, 64, 20)

    vt.log("lcore show")
    js = ctl.json("lcore", "show")
    rows = js.get("lcores", [])
    soft.eq(len(rows), 1, f"lcore show --json: one worker: {js}")
    if rows:
        w = rows[0]
        soft(vt.check_dict, w, {"lcore": 1, "rx_queues": 3,
                                "polls": "a:0 b:0 c:0"}, "lcore show --json")
        soft.true(isinstance(w.get("packets"), int) and w["packets"] > 0 and
                  isinstance(w.get("busy_cycles"), int) and
                  w["busy_cycles"] > 0 and
                  isinstance(w.get("idle_cycles"), int) and
                  isinstance(w.get("busy_pct"), (int, float)) and
                  0 <= w["busy_pct"] <= 100 and
                  isinstance(w.get("cycles_per_packet"), (int, float)),
                  f"lcore show --json values: {w}")
        # Work is the part of the busy cycles spent on queues that had
        # frames: three queues, so the empty polls make it strictly less.
        soft.true(isinstance(w.get("work_cycles"), int) and
                  0 < w["work_cycles"] < w.get("busy_cycles", 0) and
                  w.get("work_cycles_per_packet", 0) > 0 and
                  w["work_cycles_per_packet"] < w.get("cycles_per_packet", 0),
                  f"lcore show --json work cycles: {w}")
    trows = vt.parse_table(ctl.ok("lcore", "show"))
    soft.eq([{k: r.get(k) for k in ("lcore", "rx_queues", "polls")}
             for r in trows],
            [{"lcore": "1", "rx_queues": "3", "polls": "a:0 b:0 c:0"}],
            "lcore show (text)")
    cols = ["lcore", "packets", "busy_cycles", "idle_cycles", "busy_pct",
            "cycles_per_packet", "work_cycles", "work_cycles_per_packet",
            "rx_queues", "polls"]
    soft.eq([k for k in (trows[0] if trows else []) if k in cols], cols,
            "lcore show columns")

    vt.log("log level")
    ck.message(["log", "level", "data", "debug"],
               "log level of vhostswitch.data set to debug")
    ck.message(["log", "level", "data", "notice"],
               "log level of vhostswitch.data set to notice")
    ck.message(["log", "level", "vhost", "notice"],
               "log level of lib.vhost.* set to notice")
    ck.message(["log", "level", "info"],
               "log level of vhostswitch.* set to info")
    ck.refused(["log", "level", "foo", "debug"],
               "unknown component 'foo' (all config data vhost eal)")
    ck.refused(["log", "level", "data", "loud"], "unknown log level 'loud' "
               "(emerg alert crit err warning notice info debug)")
    ck.refused(["log", "level"], "usage: log level [COMPONENT] LEVEL")

    vt.log("version")
    rc, out, _ = vt.run_to_exit([sw_bin, "--version"])
    vt.check(rc == 0 and out.startswith("vhostswitch "),
             f"vhostswitch --version: {rc} {out!r}")
    version = out.split()[1]
    js = ctl.json("version")
    soft.eq(sorted(js), ["dpdk", "uptime_s", "version"], "version --json keys")
    soft.eq(js.get("version"), version, "version --json")
    soft.true(str(js.get("dpdk", "")).startswith("DPDK 22.11"),
              f"version --json dpdk: {js.get('dpdk')!r}")
    soft.true(isinstance(js.get("uptime_s"), (int, float)) and
              js["uptime_s"] > 0, f"version --json uptime: {js}")
    text = vt.parse_fields(ctl.ok("version"))
    soft.eq((text.get("version"), text.get("dpdk")),
            (version, js.get("dpdk")), "version (text)")
    ck.refused(["version", "now"], "usage: version")

    vt.log("help")
    js = ctl.json("help")
    listed = [(r.get("command"), r.get("description"))
              for r in js.get("commands", [])]
    cmds = [c for c, _ in listed]
    soft.eq([c for c in HELP if c not in cmds], [],
            f"commands missing from help --json: {listed}")
    soft.eq(sorted(set(cmds)), sorted(cmds), "help --json: no duplicates")
    soft.eq([c for c, d in listed if not d], [],
            "help --json: commands without a description")
    soft.eq([(r.get("command"), r.get("description")) for r in
             vt.parse_table(ctl.ok("help"))], listed, "help (text vs --json)")

    vt.log("ports added and removed at run time")
    dpath = os.path.join(sw.dir, "d.sock")
    epath = os.path.join(sw.dir, "e-vmm.sock")
    ck.message(["port", "add", "vhost", "d", "socket", dpath],
               f"port d added: vhost-user server on {dpath}")
    ck.message(["port", "add", "vhost", "e", "socket", epath, "client",
                "queues", "1"], f"port e added: vhost-user client of {epath}")
    soft.true(os.path.exists(dpath), f"socket {dpath} not created")
    soft.true(not os.path.exists(epath), f"client port e created {epath}")
    ck.port_list({"a": ("up", "server", sock["a"]),
                  "b": ("up", "server", sock["b"]),
                  "c": ("up", "server", sock["c"]),
                  "d": ("down", "server", dpath),
                  "e": ("down", "client", epath)})
    soft.eq(ctl.json("lcore", "show")["lcores"][0].get("polls"),
            "a:0 b:0 c:0 d:0 e:0", "lcore show with d and e")
    soft.eq(sw.port_names(), ["a", "b", "c", "d", "e"],
            "/vhostswitch/ports with d and e")
    ck.message(["port", "del", "d"], "port d removed")
    ck.message(["port", "del", "e"], "port e removed")
    soft.true(not os.path.exists(dpath), f"socket {dpath} left behind")
    ck.refused(["port", "del", "d"], "no port named 'd'")
    ck.port_list({n: ("up", "server", sock[n]) for n in "abc"})
    soft.eq(ctl.json("lcore", "show")["lcores"][0].get("polls"),
            "a:0 b:0 c:0", "lcore show after removing d and e")
    # The bridge is unharmed.
    vt.transfer(sw, b, a.mac, [a], [b, c], 1000, 64, 21)

    vt.log("shutdown")
    sw.wait_no_mbufs_in_use()
    soft.eq(ctl.json("stats")["mbufs_in_use"], 0, "stats: mbufs_in_use")
    ck.message(["shutdown"], "shutting down")
    vt.wait_for(lambda: not sw.alive(), 20, "the switch to exit")
    rc, out = sw.stop()
    vt.check_eq(rc, 0, "exit status after shutdown")
    soft.true("vhostswitch: shutdown requested, shutting down" in out,
              f"no 'shutdown requested' in:\n{out}")
    left = [p for p in list(sock.values()) + [vt.ctl_socket(sw)]
            if os.path.exists(p)]
    soft.eq(left, [], "sockets left behind after shutdown")
    r = ctl.run("version")
    soft.eq(r.rc, 2, f"vhostswitch-ctl after shutdown: {r!r}")
    for g in guests:
        g.quit()
    soft.fail()


if __name__ == "__main__":
    vt.run(body)
