#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""ctl_telemetry: DPDK's own dpdk-telemetry.py (-f PREFIX, commands on
stdin) reads the switch: /vhostswitch/ports lists the ports,
/vhostswitch/port,NAME has each port's state and counters, exactly the
frames the guests sent and what vhostswitch-ctl says, also after
"stats clear" and for a port added at run time."""

import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vstest as vt  # noqa: E402

SCRIPT = "/usr/bin/dpdk-telemetry.py"
NAMES = ("a", "b", "vm-1.x")


def telemetry(prefix, commands):
    """Runs dpdk-telemetry.py with commands on stdin; returns its replies,
    one JSON object per command."""
    vt.log(f"dpdk-telemetry.py -f {prefix}: {commands}")
    proc = vt.spawn([sys.executable, SCRIPT, "-f", prefix],
                    stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE)
    try:
        out, err = proc.communicate(("\n".join(commands) + "\n").encode(),
                                    timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        vt.forget(proc)
        raise vt.TestFailure("dpdk-telemetry.py did not finish in 30s")
    vt.forget(proc)
    vt.check_eq(proc.returncode, 0, f"dpdk-telemetry.py exit status "
                f"(stderr {err.decode(errors='replace')!r})")
    lines = out.decode().splitlines()
    vt.check_eq(len(lines), len(commands), f"replies of dpdk-telemetry.py: "
                f"{lines}")
    return [json.loads(ln) for ln in lines]


def port_counters(ctl, name):
    """vhostswitch-ctl's port show, in telemetry's key names."""
    s = ctl.json("port", "show", name)
    res = {k: s[k] for k in ("name", "kind", "state", "socket", "mode", "vid",
                             "rx_packets", "rx_bytes", "tx_packets",
                             "tx_bytes", "connects", "disconnects")}
    res.update({"drop_" + k: v for k, v in s["drops"].items()})
    return res


def body(sw_bin, tg_bin):
    if not os.access(SCRIPT, os.R_OK):
        raise vt.Skip(f"{SCRIPT} not installed (Debian: dpdk package)")
    ctl_bin = vt.ctl_binary(sw_bin)
    vt.check(os.access(ctl_bin, os.X_OK), f"no vhostswitch-ctl at {ctl_bin}")
    vt.require_hugepages()
    sw = vt.Switch(sw_bin, NAMES).start()
    ctl = vt.Ctl(ctl_bin, vt.ctl_socket(sw))
    g = vt.Guest(tg_bin, [(n, sw.sockets[n], vt.mac_of(0x0a + i))
                          for i, n in enumerate(NAMES[:2])], sw.dir).start()
    g.wait_up()
    sw.wait_state(["a", "b"], "up")
    a, b = g.ports
    vt.learn(sw, [a, b])
    vt.check_eq(ctl.message("stats", "clear"), "counters cleared",
                "stats clear")
    vt.transfer(sw, a, b.mac, [b], [a], 3000, 200, 1)
    vt.transfer(sw, b, a.mac, [a], [b], 1000, 1000, 2)
    r = b.send(a.mac, 50, flow=3, src="01:00:00:00:00:01")
    vt.check_eq(r["sent"], 50, "frames from a group source")
    vt.wait_for(lambda: sw.port("b")["drop_bad_src_mac"] == 50, 10,
                "50 bad_src_mac drops on b")
    sw.wait_no_mbufs_in_use()

    cmds = ["/vhostswitch/ports"] + [f"/vhostswitch/port,{n}" for n in NAMES] \
        + ["/vhostswitch/port,nope"]
    replies = telemetry(sw.prefix, cmds)
    vt.check_eq(replies[0], {"/vhostswitch/ports": list(NAMES)},
                "/vhostswitch/ports")
    vt.check_eq(replies[-1], {"/vhostswitch/port": None},
                "/vhostswitch/port,nope")
    ports = {}
    for n, rep in zip(NAMES, replies[1:-1]):
        vt.check_eq(list(rep), ["/vhostswitch/port"], f"reply keys for {n}")
        ports[n] = rep["/vhostswitch/port"]
    zero_drops = {k: 0 for k in vt.DROP_KEYS}
    vt.check_dict(ports["a"], dict(
        name="a", kind="vhost", state="up", mode="server",
        socket=sw.sockets["a"], rx_packets=3000, rx_bytes=600000,
        tx_packets=1000, tx_bytes=1000000, connects=1, disconnects=0,
        **zero_drops), "/vhostswitch/port,a")
    vt.check_dict(ports["b"], dict(
        zero_drops, name="b", kind="vhost", state="up", mode="server",
        socket=sw.sockets["b"], rx_packets=1050, rx_bytes=1000000 + 50 * 60,
        tx_packets=3000, tx_bytes=600000, connects=1, disconnects=0,
        drop_bad_src_mac=50), "/vhostswitch/port,b")
    vt.check_dict(ports["vm-1.x"], dict(
        name="vm-1.x", kind="vhost", state="down", mode="server",
        socket=sw.sockets["vm-1.x"], vid=-1, rx_packets=0, rx_bytes=0,
        tx_packets=0, tx_bytes=0, connects=0, disconnects=0, **zero_drops),
        "/vhostswitch/port,vm-1.x")
    for n in NAMES:
        vt.check_dict(ports[n], port_counters(ctl, n),
                      f"/vhostswitch/port,{n} vs vhostswitch-ctl port show")
        vt.check(isinstance(ports[n].get("vid"), int) and
                 (ports[n]["vid"] >= 0) == (n != "vm-1.x"),
                 f"/vhostswitch/port,{n}: vid {ports[n].get('vid')}")

    vt.log("stats clear, then a port added at run time")
    vt.check_eq(ctl.message("stats", "clear"), "counters cleared",
                "stats clear")
    dpath = os.path.join(sw.dir, "d.sock")
    ctl.message("port", "add", "vhost", "d", "socket", dpath)
    vt.transfer(sw, a, b.mac, [b], [a], 700, 100, 4)
    replies = telemetry(sw.prefix, ["/vhostswitch/ports",
                                    "/vhostswitch/port,a",
                                    "/vhostswitch/port,b",
                                    "/vhostswitch/port,d"])
    vt.check_eq(replies[0], {"/vhostswitch/ports": list(NAMES) + ["d"]},
                "/vhostswitch/ports with d")
    vt.check_dict(replies[1]["/vhostswitch/port"], dict(
        zero_drops, rx_packets=700, rx_bytes=70000, tx_packets=0,
        tx_bytes=0), "/vhostswitch/port,a after stats clear")
    vt.check_dict(replies[2]["/vhostswitch/port"], dict(
        zero_drops, rx_packets=0, rx_bytes=0, tx_packets=700,
        tx_bytes=70000), "/vhostswitch/port,b after stats clear")
    vt.check_dict(replies[3]["/vhostswitch/port"], dict(
        zero_drops, name="d", state="down", socket=dpath, mode="server",
        vid=-1, rx_packets=0, tx_packets=0), "/vhostswitch/port,d")
    ctl.message("port", "del", "d")
    replies = telemetry(sw.prefix, ["/vhostswitch/ports",
                                    "/vhostswitch/port,d"])
    vt.check_eq(replies, [{"/vhostswitch/ports": list(NAMES)},
                          {"/vhostswitch/port": None}],
                "telemetry after port del d")
    vt.finish(sw, [g])


if __name__ == "__main__":
    vt.run(body)
