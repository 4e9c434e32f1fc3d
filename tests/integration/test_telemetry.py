#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""telemetry: every /vhostswitch/ endpoint answers with what the switch
knows: every port (whatever valid name it has), one port's vhost-user
details, the worker, the summary, and the FDB's MAC -> port entries.
Port names and MACs come as values, never as keys: telemetry keys cannot
hold their '-', '.' and ':'."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vstest as vt  # noqa: E402

# Port names use every kind of character the switch accepts (--help:
# "A-Z a-z 0-9 _ - .").
NAMES = ("a", "vm-1", "Vm_2.x")


def body(sw_bin, tg_bin):
    failures = []

    def expect(cond, msg):
        if not cond:
            failures.append(msg)
            vt.log("MISMATCH: " + msg)

    vt.require_hugepages()
    sw = vt.Switch(sw_bin, NAMES).start()
    ports = vt.wait_for(sw.port_names, 10, "/vhostswitch/ports")
    expect(sorted(ports) == sorted(NAMES),
           f"/vhostswitch/ports lists {sorted(ports)}, expected "
           f"{sorted(NAMES)}")

    g = vt.Guest(tg_bin, [(n, sw.sockets[n], vt.mac_of(0x0a + i))
                          for i, n in enumerate(NAMES[:2])], sw.dir).start()
    g.wait_up()
    a, vm1 = g.ports
    sw.wait_state(["a", "vm-1"], "up")
    vt.learn(sw, [a, vm1])

    info = sw.info()
    expect(info.get("ports") == 3 and info.get("workers") == 1 and
           info.get("fdb_entries") == 2 and info.get("mbufs_in_use") == 0 and
           info.get("mbufs_total", 0) > 0,
           f"/vhostswitch/info: {info}")

    for name in ("a", "vm-1"):
        one = sw.port(name)
        want = {"name": name, "state": "up", "kind": "vhost",
                "socket": sw.sockets[name], "mode": "server"}
        bad = {k: (v, one.get(k)) for k, v in want.items() if one.get(k) != v}
        expect(not bad, f"/vhostswitch/port,{name}: (expected, got) {bad}")
        expect(isinstance(one.get("vid"), int) and one["vid"] >= 0,
               f"/vhostswitch/port,{name}: vid {one.get('vid')}")
    idle = sw.port("Vm_2.x")
    expect(idle.get("state") == "down" and idle.get("vid") == -1,
           f"/vhostswitch/port,Vm_2.x (no guest): {idle}")

    lcores = sw.tel.query("/vhostswitch/lcores")
    expect(list(lcores) == ["lcore1"] and
           lcores["lcore1"].get("rx_queues") == 3,
           f"/vhostswitch/lcores: {lcores}")

    fdb = sw.fdb()
    want = {a.mac: "a", vm1.mac: "vm-1"}
    got = {e[0]: e[1] for e in fdb}
    expect(len(fdb) == 2 and got == want and
           all(e[2] == "dynamic" and e[3].isdigit() for e in fdb),
           f"/vhostswitch/fdb: {fdb}, expected the entries {want}")

    sw.wait_no_mbufs_in_use()
    g.quit()
    rc, _ = sw.stop()
    vt.check_eq(rc, 0, "switch exit status after SIGTERM")
    if failures:
        raise vt.TestFailure("\n  " + "\n  ".join(failures))


if __name__ == "__main__":
    vt.run(body)
