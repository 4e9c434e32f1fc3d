# SPDX-License-Identifier: BSD-3-Clause
"""Helpers of the multi-core and multiqueue integration tests
(test_multicore*.py, test_queue_*.py), on top of vstest.

- MqSwitch: the switch with ports of several queue pairs (from a --config
  file, as --vhost makes 1-queue ports) and a chosen lcore layout. This
  machine has two CPUs, so two workers share one (--lcores '0@0,1@1,2@1'):
  correct, but a frame may wait for the other worker's time slice, so rates
  stay modest and waits generous.
- MqGuest: vs-testguest with virtio-user queues=N on every port.
- Ctl: vstest's vhostswitch-ctl runner, with lcore and queue queries.
- Flow: one paced stream of IPv4/UDP test frames (proto=udp, so that the
  switch's flow hash spreads flows over the destination's queues), and
  the exact checks of a whole exchange.

Every process, socket and DPDK prefix goes through vstest's registry, so
vstest.run() cleans up on every path.
"""

import os
import time

import vstest as vt

# Main lcore 0 on CPU 0 (with the guests); two workers share CPU 1.
LCORES_TWO_WORKERS = ["--lcores", "0@0,1@1,2@1"]
LCORES_ONE_WORKER = ["-l", "0,1"]
WORKER_LCORES_TWO = (1, 2)

QUEUES = 2
UDP_MIN_LEN = 70


class Ctl(vt.Ctl):
    """vhostswitch-ctl (built next to the switch) against one switch, with
    the queries these tests make."""

    def __init__(self, switch_bin, path):
        super().__init__(vt.ctl_binary(switch_bin), path)

    def lcores(self):
        """lcore show --json: the list of workers."""
        return self.json("lcore", "show")["lcores"]

    def port_queues(self, name):
        """port show --json NAME: its queues table, by queue number."""
        return {q["queue"]: q for q in self.json("port", "show", name)["queues"]}


def polls_of(lcores):
    """lcore show rows -> {lcore: ["port:queue", ...]}."""
    return {w["lcore"]: w["polls"].split() for w in lcores}


def check_each_queue_once(lcores, ports, queues=QUEUES):
    """Every queue of every port in ports is polled by exactly one worker
    (and nothing else is polled). Returns {"port:queue": lcore}."""
    owner = {}
    dup = []
    for lc, polls in polls_of(lcores).items():
        for pq in polls:
            if pq in owner:
                dup.append((pq, owner[pq], lc))
            owner[pq] = lc
    expect = {f"{p}:{q}" for p in ports for q in range(queues)}
    vt.check(not dup, f"queues polled by two workers: {dup}; lcore show: "
             f"{lcores}")
    vt.check_eq(set(owner), expect, "queues polled across workers "
                f"(lcore show: {lcores})")
    return owner


class MqSwitch(vt.Switch):
    """A switch whose ports (names) have queues queue pairs each, made by a
    config file of 'port add vhost NAME socket PATH queues N'; eal are the
    lcore options (LCORES_TWO_WORKERS or LCORES_ONE_WORKER)."""

    def __init__(self, binary, ports, queues=QUEUES, eal=LCORES_TWO_WORKERS,
                 extra=(), tag="mc"):
        super().__init__(binary, ports, extra=extra, tag=tag)
        self.queues = queues
        self.eal = list(eal)
        self.config = os.path.join(self.dir, "ports.conf")
        self.ctl_path = os.path.join(self.dir, "ctl.sock")
        with open(self.config, "w") as f:
            for n in self.names:
                f.write(f"port add vhost {n} socket {self.sockets[n]} "
                        f"queues {queues}\n")
        self.ctl = Ctl(binary, self.ctl_path)

    def args(self):
        return [self.binary] + self.eal + [
            "--main-lcore", "0", "--no-pci", "--file-prefix", self.prefix,
            "--", "--config", self.config, "--stats-interval", "0",
            "--ctl-socket", self.ctl_path] + self.extra


class MqGuest(vt.Guest):
    """vs-testguest with queues queue pairs on each of its ports."""

    def __init__(self, binary, ports, workdir, tag="g", queues=QUEUES,
                 queue_size=vt.QUEUE_SIZE):
        super().__init__(binary, ports, workdir, tag=tag,
                         queue_size=queue_size, queues=queues)

    def udp_stream(self, port, dst, pps, length, flow):
        return self.cmd(f"stream_start port={port} dst={dst} pps={pps} "
                        f"len={length} flow={flow} proto=udp")["id"]


def start(sw_bin, tg_bin, names, eal, groups, queues=QUEUES):
    """A switch with ports names (queues pairs each) and guest processes
    holding them (groups: the port names of each process). Port names[i]
    has MAC mac_of(0x0a + i). Returns (switch, guests, {name: GuestPort})."""
    vt.require_hugepages(300)
    sw = MqSwitch(sw_bin, names, queues=queues, eal=eal).start()
    guests, gports = [], {}
    for gi, group in enumerate(groups):
        spec = [(n, sw.sockets[n], vt.mac_of(0x0a + names.index(n)))
                for n in group]
        g = MqGuest(tg_bin, spec, sw.dir, tag=f"g{gi}", queues=queues).start()
        guests.append(g)
        for gp in g.ports:
            gports[gp.name] = gp
    for g in guests:
        r = g.wait_up(timeout=20)
        for p in r["ports"]:
            vt.check_eq(p.get("queues"), queues,
                        f"guest {g.tag} port {p['port']} queue pairs")
    sw.wait_state(list(names), "up")
    # Both queue pairs of every port enabled by the guest.
    vt.wait_for(lambda: all(q["enabled"] for n in names
                            for q in sw.ctl.port_queues(n).values()),
                15, "every queue of every port enabled")
    return sw, guests, gports


class Flow:
    """One paced stream: src GuestPort -> dst GuestPort, flow id, length."""

    def __init__(self, src, dst, flow, length):
        self.src, self.dst, self.flow, self.length = src, dst, flow, length
        self.sent = None

    def __repr__(self):
        return f"{self.src.name}->{self.dst.name} flow {self.flow}"


def mesh_flows(gports, per_pair, lengths):
    """per_pair flows between every ordered pair of gports. A sender's flow
    ids are unique across its destinations (sequence numbers count per
    (port, flow)), and consecutive ids alternate tx queues (flow % N)."""
    flows = []
    for si, src in enumerate(gports):
        for di, dst in enumerate(gports):
            if src is dst:
                continue
            for k in range(per_pair):
                fid = di * per_pair + k
                length = lengths[(si * 7 + di * 3 + k) % len(lengths)]
                flows.append(Flow(src, dst, fid, length))
    return flows


def start_streams(flows, pps):
    for f in flows:
        f.src.guest.udp_stream(f.src.index, f.dst.mac, pps, f.length, f.flow)


def stop_streams(flows, guests):
    """Stops every stream; records each flow's sent count."""
    by_key = {}
    for g in guests:
        for s in g.stream_stop():
            by_key[(g, s["port"], s["flow"])] = s["sent"]
    for f in flows:
        f.sent = by_key[(f.src.guest, f.src.index, f.flow)]
        vt.check(f.sent > 0, f"{f}: nothing sent")


def all_stats(guests):
    """{switch port name: the guest's stats of that port}, one stats
    command per guest process."""
    res = {}
    for g in guests:
        st = g.stats()
        for gp in g.ports:
            res[gp.name] = st[gp.index]
    return res


def wait_all_received(flows, guests, timeout=60):
    """Waits until every flow's receiver counted at least its sent frames."""
    def done():
        st = all_stats(guests)
        missing = []
        for f in flows:
            r = vt.rx_flow(st[f.dst.name], f.src.mac, f.flow)
            got = r["received"] if r else 0
            if got < f.sent:
                missing.append((repr(f), f.sent, got))
        done.last = missing
        return not missing
    done.last = None
    try:
        vt.wait_for(done, timeout, "every frame of every flow")
    except vt.TestFailure:
        raise vt.TestFailure(f"flows short of frames (flow, sent, received):"
                             f" {done.last[:20]} ({len(done.last)} flows)")


def check_flows_exact(flows, guests, soft):
    """Each flow arrived whole (each frame once, in order, none lost, every
    byte right) and on one rx queue of its receiver. Returns the stats."""
    st = all_stats(guests)
    for f in flows:
        r = vt.rx_flow(st[f.dst.name], f.src.mac, f.flow)
        if r is None:
            soft.failures.append(f"{f}: no frame arrived")
            continue
        soft(vt.check_dict, r, {
            "received": f.sent, "in_order": f.sent, "out_of_order": 0,
            "duplicates": 0, "lost": 0, "min_seq": r["min_seq"],
            "max_seq": r["min_seq"] + f.sent - 1}, f"{f}")
        soft.true(bin(r.get("rxq_mask", 0)).count("1") == 1,
                  f"{f}: arrived on more than one queue (rxq_mask "
                  f"{r.get('rxq_mask')})")
    return st


def expected_counts(flows, st, names):
    """What the switch must have counted per port: rx = what the guest
    sent, tx = what it received; also from the guest's stats (which must
    agree with the flows)."""
    exp = {n: {"rx_packets": 0, "rx_bytes": 0, "tx_packets": 0,
               "tx_bytes": 0} for n in names}
    for f in flows:
        exp[f.src.name]["rx_packets"] += f.sent
        exp[f.src.name]["rx_bytes"] += f.sent * f.length
        exp[f.dst.name]["tx_packets"] += f.sent
        exp[f.dst.name]["tx_bytes"] += f.sent * f.length
    return exp


def check_guest_totals(flows, st, names, soft):
    """The guests' port counters agree with the flows: nothing else sent or
    received, nothing bad, foreign or failed."""
    exp = expected_counts(flows, st, names)
    for n in names:
        s = st[n]
        soft(vt.check_dict, s, {
            "tx_sent": exp[n]["rx_packets"], "tx_bytes": exp[n]["rx_bytes"],
            "tx_failed": 0, "rx_frames": exp[n]["tx_packets"],
            "rx_bytes": exp[n]["tx_bytes"], "rx_good": exp[n]["tx_packets"],
            "rx_bad": 0, "rx_foreign": 0, "rx_not_for_us": 0,
            "rx_flow_overflow": 0, "rx_nombuf": 0},
            f"guest port {n} counters")
        soft.eq(sum(s["txq_frames"]), s["tx_sent"],
                f"guest port {n}: txq_frames sum")
        soft.eq(sum(s["rxq_frames"]), s["rx_frames"],
                f"guest port {n}: rxq_frames sum")
    return exp


def queue_counters(ctl, names):
    """{port: {queue: (rx_packets, tx_packets, rx_cycles)}} from port show
    --json."""
    return {n: {q: (r["rx_packets"], r["tx_packets"], r["rx_cycles"])
                for q, r in ctl.port_queues(n).items()} for n in names}


def lcore_totals(ctl):
    """{lcore: (packets, ring_drops)}."""
    return {w["lcore"]: (w["packets"], w["ring_drops"]) for w in ctl.lcores()}


def settle(seconds=0.5):
    vt.settle(seconds)


def elapsed(t0):
    return f"{time.monotonic() - t0:.1f}s"


# --------------------------------------------------------------------------
# The 4-guest multiqueue exchange (test_multicore*.py)

NAMES = ("a", "b", "c", "d")
GROUPS = (["a", "b"], ["c", "d"])
LENGTHS = (70, 128, 333, 777, 1000, 1514)


def cross_worker_flows(flows, st, owner):
    """{(ingress worker, egress worker): flows} from which queue each flow
    entered (its tx queue, flow % N) and left (its receiver's rx queue)."""
    res = {}
    for f in flows:
        r = vt.rx_flow(st[f.dst.name], f.src.mac, f.flow)
        if r is None or bin(r["rxq_mask"]).count("1") != 1:
            continue
        qin = f.flow % QUEUES
        qout = r["rxq_mask"].bit_length() - 1
        key = (owner[f"{f.src.name}:{qin}"], owner[f"{f.dst.name}:{qout}"])
        res[key] = res.get(key, 0) + 1
    return res


def exchange(sw_bin, tg_bin, eal, workers, per_pair=4, pps=500, seconds=4):
    """Four guests with two queue pairs each; per_pair flows of IPv4/UDP
    frames between every ordered pair, paced at pps each for seconds. Then
    exact checks: every flow whole, the guests' and the switch's counters
    (per port and per queue) agree, both queue pairs of every port carried
    traffic, every worker polled and forwarded, no drop anywhere, no ring
    drop, no mbuf held."""
    t0 = time.monotonic()
    sw, guests, gp = start(sw_bin, tg_bin, list(NAMES), eal,
                           [list(g) for g in GROUPS])
    ctl = sw.ctl
    lcs = ctl.lcores()
    vt.check_eq(len(lcs), workers, f"workers in lcore show ({lcs})")
    owner = check_each_queue_once(lcs, NAMES)
    vt.log(f"queue owners: {owner}")
    if workers > 1:
        vt.check_eq(sorted(set(owner.values())), sorted(w["lcore"] for w in lcs),
                    "every worker polls a queue")
    gports = [gp[n] for n in NAMES]
    vt.learn(sw, gports)

    before = sw.snapshot()
    q_before = queue_counters(ctl, NAMES)
    l_before = lcore_totals(ctl)
    flows = mesh_flows(gports, per_pair, LENGTHS)
    vt.log(f"{len(flows)} flows at {pps} pps each for {seconds}s "
           f"({elapsed(t0)} since start)")
    start_streams(flows, pps)
    time.sleep(seconds)
    stop_streams(flows, guests)
    total = sum(f.sent for f in flows)
    vt.log(f"sent {total} frames; waiting for them")
    wait_all_received(flows, guests)
    settle()

    soft = vt.Soft()
    st = check_flows_exact(flows, guests, soft)
    exp = check_guest_totals(flows, st, NAMES, soft)

    # The switch counted what the guests did, and dropped nothing.
    d = sw.delta(before)
    for n in NAMES:
        soft(vt.check_dict, d[n], exp[n], f"switch port {n} counters")
        soft(vt.check_dict, d[n], {k: 0 for k in d[n]
                                   if k.startswith("drop_")},
             f"switch port {n} drops")
    soft.eq(set(d), set(NAMES), "switch ports")
    soft.true(all("drop_ring_full" in d[n] for n in NAMES),
              f"no drop_ring_full counter in the switch's port telemetry: "
              f"{d}")

    # Per queue: the switch's rx on queue q is what the guest sent on its
    # tx queue q, its tx on q what the guest received on rx queue q; both
    # queue pairs of every port carried traffic both ways.
    q_after = queue_counters(ctl, NAMES)
    for n in NAMES:
        for q in range(QUEUES):
            rx = q_after[n][q][0] - q_before[n][q][0]
            tx = q_after[n][q][1] - q_before[n][q][1]
            soft.eq(rx, st[n]["txq_frames"][q],
                    f"switch {n} queue {q} rx_packets vs the guest's tx "
                    f"queue {q}")
            soft.eq(tx, st[n]["rxq_frames"][q],
                    f"switch {n} queue {q} tx_packets vs the guest's rx "
                    f"queue {q}")
            soft.true(rx > 0, f"switch {n} queue {q}: no rx traffic "
                      f"({q_after[n]})")
            # Its frames cost its worker something, and it is counted.
            soft.true(q_after[n][q][2] - q_before[n][q][2] > 0,
                      f"switch {n} queue {q}: {rx} frames received but no "
                      f"rx_cycles counted ({q_after[n]})")
            soft.true(tx > 0, f"switch {n} queue {q}: no tx traffic "
                      f"({q_after[n]})")

    # Workers: each polled and forwarded, nothing dropped at a ring, the
    # queues stayed where they were.
    lcs = ctl.lcores()
    l_after = lcore_totals(ctl)
    for lc, (pk, rd) in l_after.items():
        soft.true(pk - l_before[lc][0] > 0, f"worker {lc} forwarded nothing "
                  f"({lcs})")
        soft.eq(rd, 0, f"worker {lc} ring_drops")
    soft.eq(soft(check_each_queue_once, lcs, NAMES), owner,
            "queue owners after the exchange")
    if workers > 1:
        cross = cross_worker_flows(flows, st, owner)
        vt.log(f"flows by (ingress worker, egress worker): {cross}")
        wl = sorted(l_after)
        soft.true(cross.get((wl[0], wl[1]), 0) > 0 and
                  cross.get((wl[1], wl[0]), 0) > 0,
                  f"the exchange did not cross workers both ways: {cross}")
    soft(sw.wait_no_mbufs_in_use)
    soft.fail()
    vt.finish(sw, guests)
    vt.log(f"done in {elapsed(t0)}")
