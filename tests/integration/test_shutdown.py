#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""shutdown: SIGTERM (with guests attached, also in the middle of a stream)
and SIGINT (idle) make the switch print its final counters, which agree
with what telemetry said, remove its sockets and exit 0; the guests it
leaves behind survive and quit cleanly."""

import os
import signal
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vstest as vt  # noqa: E402

N = 5000


def final_table(out):
    """Parses the final port table: {port: {column: value}}."""
    lines = out.splitlines()
    starts = [i for i, ln in enumerate(lines) if "final counters" in ln]
    vt.check(len(starts) == 1, f"one 'final counters' block in:\n{out}")
    header = lines[starts[0] + 1].split()
    vt.check(header[:2] == ["port", "state"], f"table header: {header}")
    table = {}
    for ln in lines[starts[0] + 2:]:
        cols = ln.split()
        if len(cols) != len(header):
            break
        row = dict(zip(header, cols))
        table[row["port"]] = row
    return table, lines[starts[0]:]


def drops_by_reason(block):
    """The 'drops by reason' lines: {port: {reason: count}}."""
    res = {}
    try:
        i = block.index("  drops by reason:")
    except ValueError:
        return res
    for ln in block[i + 1:]:
        cols = ln.split()
        if not cols or "=" not in cols[-1]:
            break
        res[cols[0]] = {k: int(v) for k, v in
                        (c.split("=", 1) for c in cols[1:])}
    return res


def check_sockets_gone(sw):
    left = [p for p in sw.sockets.values() if os.path.exists(p)]
    vt.check(not left, f"sockets left behind: {left}")


def body(sw_bin, tg_bin):
    vt.log("SIGTERM with guests attached, after traffic")
    sw, guests, p = vt.start_all(sw_bin, tg_bin, names=("a", "b"))
    g = guests[0]
    a, b = p["a"], p["b"]
    vt.learn(sw, [a, b])
    vt.transfer(sw, a, b.mac, [b], [a], N, 300, 1)
    r = b.send(a.mac, 700, length=60, flow=2, src="00:00:00:00:00:00")
    vt.check_eq(r["sent"], 700, "frames with a zero source")
    vt.wait_for(lambda: sw.ports()["b"]["drop_bad_src_mac"] == 700, 10,
                "700 bad_src_mac drops on b")
    sw.wait_no_mbufs_in_use()
    tel = sw.ports()
    rc, out = sw.stop(signal.SIGTERM)
    vt.check_eq(rc, 0, "exit status after SIGTERM")
    vt.check("caught signal 15" in out, f"no 'caught signal 15' in:\n{out}")
    table, block = final_table(out)
    for name in ("a", "b"):
        t = tel[name]
        drops = sum(v for k, v in t.items() if k.startswith("drop_"))
        vt.check_dict(table.get(name, {}), {
            "port": name, "rx_packets": str(t["rx_packets"]),
            "tx_packets": str(t["tx_packets"]),
            "rx_bytes": str(t["rx_bytes"]), "tx_bytes": str(t["tx_bytes"]),
            "drops": str(drops)}, f"final counters of port {name}")
    vt.check_eq(drops_by_reason(block), {"b": {"bad_src_mac": 700}},
                "final drops by reason")
    vt.check(any("mbuf pool: 0 of" in ln for ln in block),
             f"final mbuf pool line does not say 0 in use:\n{out}")
    check_sockets_gone(sw)
    # The guest outlives its switch and still exits cleanly.
    vt.check_eq(g.cmd("info")["ok"], True, "guest alive after the switch left")
    g.quit()

    vt.log("SIGTERM in the middle of a stream")
    sw, guests, p = vt.start_all(sw_bin, tg_bin, names=("a", "b"))
    g = guests[0]
    a, b = p["a"], p["b"]
    vt.learn(sw, [a, b])
    a.stream_start(b.mac, 50000, length=1514, flow=3)
    b.stream_start("bcast", 50000, length=64, flow=4)
    vt.wait_flow(b, a.mac, 3, 5000)
    rc, out = sw.stop(signal.SIGTERM)
    vt.check_eq(rc, 0, "exit status after SIGTERM under traffic")
    final_table(out)
    check_sockets_gone(sw)
    g.stream_stop()
    g.quit()

    vt.log("SIGINT, idle, no guest ever attached")
    sw = vt.Switch(sw_bin, ("a", "b", "c")).start()
    rc, out = sw.stop(signal.SIGINT)
    vt.check_eq(rc, 0, "exit status after SIGINT")
    vt.check("caught signal 2" in out, f"no 'caught signal 2' in:\n{out}")
    table, _ = final_table(out)
    vt.check_eq(sorted(table), ["a", "b", "c"], "ports in the final table")
    for name, row in table.items():
        vt.check_dict(row, {"state": "down", "rx_packets": "0",
                            "tx_packets": "0", "drops": "0"},
                      f"final counters of idle port {name}")
    check_sockets_gone(sw)


if __name__ == "__main__":
    vt.run(body)
