# SPDX-License-Identifier: BSD-3-Clause
"""Queue moves under traffic: four guests with two queue pairs each on a
switch with two workers exchange paced flows of IPv4/UDP frames between
every pair, in both directions; meanwhile, for MOVE_SECONDS, queues are
moved as fast as vhostswitch-ctl allows: a random queue of a random port
pinned to a random worker ('port set P rxq Q lcore L'), now and then
unpinned ('port set P rxq Q auto'), interleaved with 'rebalance' and
'rebalance roundrobin', while the switch's own automatic rebalancing is on
at its most eager (threshold 1%, every second; whether it finds a better
spread and moves anything depends on the measured load, so it is logged,
not asserted).

Every command must succeed, and between commands every queue is polled by
exactly one worker and a pinned queue sits on its worker. At the end the
switch is alive, every flow arrived whole (sent == received, no
duplicate, no reordering, no loss, every byte right), the switch counted
exactly what the guests did with no drop, no mbuf is held, and every
queue is polled by exactly one worker.

VS_SEED=N in the environment replays a run's sequence of moves (the seed
is logged)."""

import collections
import os
import random
import time

import vstest as vt
import vsmc

MOVE_SECONDS = 30
PER_PAIR = 2
PPS = 400
CHECK_EVERY = 25     # ops between checks of lcore show / port show
SLOW_CMD = 1.0       # a move taking longer is logged (not asserted)


def owners_from_ports(ctl, names):
    """{"port:queue": (lcore, pinned)} from port show --json."""
    res = {}
    for n in names:
        for q, r in ctl.port_queues(n).items():
            res[f"{n}:{q}"] = (r["lcore"], r["pinned"])
    return res


def body(sw_bin, tg_bin):
    names = list(vsmc.NAMES)
    seed = int(os.environ.get("VS_SEED", str(int(time.time() * 1000) %
                                             1000000007)))
    rng = random.Random(seed)
    vt.log(f"VS_SEED={seed}")

    sw, guests, gp = vsmc.start(sw_bin, tg_bin, names,
                                vsmc.LCORES_TWO_WORKERS,
                                [list(g) for g in vsmc.GROUPS])
    ctl = sw.ctl
    workers = sorted(w["lcore"] for w in ctl.lcores())
    vt.check_eq(workers, list(vsmc.WORKER_LCORES_TWO), "worker lcores")
    vsmc.check_each_queue_once(ctl.lcores(), names)
    gports = [gp[n] for n in names]
    vt.learn(sw, gports)

    auto = ctl.json("rebalance", "auto", "on", "threshold", "1",
                    "interval", "1")
    vt.check_eq(auto.get("auto"), True, f"rebalance auto on: {auto}")

    before = sw.snapshot()
    flows = vsmc.mesh_flows(gports, PER_PAIR, vsmc.LENGTHS)
    vt.log(f"{len(flows)} flows at {PPS} pps each; moving queues for "
           f"{MOVE_SECONDS}s")
    vsmc.start_streams(flows, PPS)

    soft = vt.Soft()
    counts = {"pin": 0, "unpin": 0, "rebalance": 0, "roundrobin": 0,
              "checks": 0}
    pins = {}          # "port:queue" -> lcore while pinned
    failed_cmds = []
    t_start = time.monotonic()
    t_end = t_start + MOVE_SECONDS
    ops = 0
    ring_drops = 0
    history = collections.deque(maxlen=CHECK_EVERY)
    durations, slow = [], []
    while time.monotonic() < t_end:
        ops += 1
        r = rng.random()
        port = rng.choice(names)
        q = rng.randrange(vsmc.QUEUES)
        if r < 0.80:
            lc = rng.choice(workers)
            words = ["port", "set", port, "rxq", q, "lcore", lc]
            kind = "pin"
        elif r < 0.86:
            words = ["port", "set", port, "rxq", q, "auto"]
            kind = "unpin"
        elif r < 0.93:
            words = ["rebalance"]
            kind = "rebalance"
        else:
            words = ["rebalance", "roundrobin"]
            kind = "roundrobin"
        t_cmd = time.monotonic()
        res = ctl.run(*map(str, words))
        took = time.monotonic() - t_cmd
        history.append((round(t_cmd - t_start, 3), round(took, 3),
                        " ".join(map(str, words))))
        durations.append(took)
        if took > SLOW_CMD:
            slow.append(history[-1])
            vt.log(f"slow command: {history[-1]} (s into the moves, "
                   f"seconds it took, command)")
        if res.rc != 0 or res.err:
            failed_cmds.append(repr(res))
            if not sw.alive():
                break
            continue
        counts[kind] += 1
        if kind == "pin":
            pins[f"{port}:{q}"] = lc
        elif kind == "unpin":
            pins.pop(f"{port}:{q}", None)
        if ops % CHECK_EVERY == 0:
            # Moves are done when the command returns: one owner each, and
            # pinned queues where they were pinned.
            counts["checks"] += 1
            lcs = ctl.lcores()
            owner = soft(vsmc.check_each_queue_once, lcs, names)
            drops = sum(w["ring_drops"] for w in lcs)
            if drops != ring_drops:
                # Diagnostics for a report: what ran just before.
                vt.log(f"ring drops {ring_drops} -> {drops} by op {ops} "
                       f"({t_end - time.monotonic():.1f}s left); "
                       f"lcores {lcs}; recent ops (s into the moves, "
                       f"seconds each took, command): {list(history)}")
                ring_drops = drops
            # Pinned queues stay put (automatic rebalancing, which may
            # move the others between two queries, leaves them alone).
            by_port = owners_from_ports(ctl, names)
            for pq, lc in pins.items():
                soft.eq(by_port[pq], (lc, True),
                        f"after op {ops}: port show of pinned queue {pq} "
                        f"(lcore, pinned)")
                if owner:
                    soft.eq(owner[pq], lc, f"after op {ops}: lcore show: "
                            f"worker of pinned queue {pq}")
            if len(soft.failures) > 10:
                break
    durations.sort()
    timing = (f"ctl commands: median {durations[len(durations) // 2]:.3f}s, "
              f"max {durations[-1]:.3f}s, {len(slow)} over {SLOW_CMD}s"
              if durations else "no ctl command ran")
    vt.log(f"{ops} ops: {counts}; {len(failed_cmds)} failed commands; "
           f"{timing}")
    if sw.alive():
        # Off, so that nothing moves between the final queries.
        vt.log(f"automatic rebalancing: "
               f"{ctl.json('rebalance', 'auto', 'off')}")
    soft.true(sw.alive(), "the switch died during the moves:\n" +
              sw.output()[-3000:])
    soft.eq(failed_cmds[:5], [], f"failed vhostswitch-ctl commands "
            f"({len(failed_cmds)} in all; first five shown)")
    soft.true(counts["pin"] > 100, f"too few moves to mean anything: "
              f"{counts}")
    if not sw.alive():
        soft.fail()

    vsmc.stop_streams(flows, guests)
    total = sum(f.sent for f in flows)
    vt.log(f"sent {total} frames; waiting for them")
    try:
        vsmc.wait_all_received(flows, guests, timeout=60)
    except vt.TestFailure as e:
        soft.failures.append(str(e))
    vsmc.settle()

    st = vsmc.check_flows_exact(flows, guests, soft)
    exp = vsmc.check_guest_totals(flows, st, names, soft)
    d = sw.delta(before)
    for n in names:
        soft(vt.check_dict, d[n], exp[n], f"switch port {n} counters")
        soft(vt.check_dict, d[n], {k: 0 for k in d[n]
                                   if k.startswith("drop_")},
             f"switch port {n} drops")
    lcs = ctl.lcores()
    owner = soft(vsmc.check_each_queue_once, lcs, names)
    vt.log(f"final queue owners: {owner}")
    by_port = owners_from_ports(ctl, names)
    if owner:
        soft.eq({pq: v[0] for pq, v in by_port.items()}, owner,
                "final: port show lcores vs lcore show")
    for pq, lc in pins.items():
        soft.eq(by_port[pq], (lc, True), f"final: pinned queue {pq}")
    for w in lcs:
        soft.eq(w["ring_drops"], 0, f"worker {w['lcore']} ring_drops")
    soft(sw.wait_no_mbufs_in_use)
    soft.true(sw.alive(), "the switch is alive at the end")
    if soft.failures:
        soft.failures.append(f"(context, not a check: {timing}; slow: "
                             f"{slow[:10]}; the switch's output ends:\n"
                             f"{sw.output()[-2000:]})")
    soft.fail()
    vt.finish(sw, guests)


if __name__ == "__main__":
    vt.run(body)
