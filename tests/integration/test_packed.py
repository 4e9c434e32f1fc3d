#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""packed: guests on packed virtqueues (virtio 1.1, VIRTIO_F_RING_PACKED;
virtio-user's packed_vq=1, QEMU's packed=on) switch as guests on split
ones do. Guest A and guest B use packed rings, guest C split rings, each
its own process; the switch's telemetry shows which layout each port
negotiated.

  - idle guests on packed rings cost each poll one mbuf at most
    (rte_vhost takes them before it looks at a packed ring), not a whole
    burst: mbufs_in_use never reads more than 1;
  - packed <-> packed (A, B) and packed <-> split (A, C; B, C), every
    direction, at several sizes up to 1514 B and over several turns of
    the 4096-entry rings (so the rings' wrap counters flip), and a flood
    from a packed guest to a packed and a split one: every frame once, in
    order, every byte intact, the switch's counters exact, nothing
    dropped, no mbuf held;
  - all four directions between A, B and C streaming at once;
  - A quits and comes back on packed rings: the new ring starts from the
    beginning again, and traffic both ways is exact;
  - A is killed (SIGKILL) in the middle of a stream while B and C stream
    to each other, and comes back on packed rings: not one B <-> C frame
    lost, A's stream arrived whole up to the kill, the new A exact both
    ways;
  - A comes back on split rings on the same port, then traffic is exact
    again: the port holds nothing of the old layout.

vs-testguest's frames (1514 B at most) fit one receive buffer each; frames
spread over several descriptors of a packed ring are vm_two_guests' (TCP
segmentation offload frames into its guest B's packed ring)."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vstest as vt  # noqa: E402

VIRTIO_F_RING_PACKED = 34
N = 10000            # about two and a half turns of a 4096-entry ring
SIZES = (60, 777, 1514)
STREAM_PPS = 50000


PACKED_PROBE = 1     # what the switch asks an idle packed queue for
IDLE_SAMPLES = 300


class Switch(vt.Switch):
    """The switch, with a leak check that holds with packed rings.

    rte_vhost (22.11) takes the mbufs it is asked for from the pool before
    it looks at a packed ring, and gives back what it did not fill: while
    a packed port is polled, even an idle one, the worker holds them for
    the length of each poll, so mbufs_in_use reads 0 or a few at random
    (split rings are looked at first: 0). A leaked mbuf is never given
    back, so mbufs_in_use never reads 0 again: one 0 is the proof. Polled
    often, since many reads catch a poll in progress."""

    def wait_no_mbufs_in_use(self, timeout=5):
        last = {}

        def idle():
            last["info"] = self.info()
            return last["info"]["mbufs_in_use"] == 0
        try:
            vt.wait_for(idle, timeout, "mbufs_in_use == 0", interval=0.001,
                        max_interval=0.001)
        except vt.TestFailure:
            raise vt.TestFailure(f"mbuf leak: mbufs_in_use never 0 in "
                                 f"{timeout}s: {last.get('info')}")


def check_idle_hold(sw):
    """With every guest idle, a poll of a packed queue holds at most
    PACKED_PROBE mbufs (not a whole burst of 32): mbufs_in_use, read
    IDLE_SAMPLES times, never exceeds it."""
    seen = {}
    for _ in range(IDLE_SAMPLES):
        n = sw.info()["mbufs_in_use"]
        seen[n] = seen.get(n, 0) + 1
    vt.log(f"mbufs_in_use over {IDLE_SAMPLES} reads while idle: {seen}")
    vt.check(max(seen) <= PACKED_PROBE,
             f"idle packed queues hold at most {PACKED_PROBE} mbufs a poll: "
             f"mbufs_in_use read {seen}")


def check_layout(sw, name, packed, what):
    """The switch's port negotiated packed rings, or split ones."""
    features = sw.port(name)["features"]
    got = bool(int(features, 16) >> VIRTIO_F_RING_PACKED & 1)
    vt.check(got == packed, f"switch port {name} ({what}): features "
             f"{features}: VIRTIO_F_RING_PACKED {'set' if got else 'clear'}, "
             f"expected {'set' if packed else 'clear'}")


def start(sw_bin, tg_bin):
    """The switch with ports a, b, c; guest A (port a) and B (port b) on
    packed rings, C (port c) on split rings, one process each."""
    vt.require_hugepages()
    sw = Switch(sw_bin, ("a", "b", "c")).start()
    guests = []
    for i, (name, packed) in enumerate((("a", True), ("b", True),
                                        ("c", False))):
        spec = [(name, sw.sockets[name], vt.mac_of(0x0a + i))]
        guests.append(vt.Guest(tg_bin, spec, sw.dir, tag=f"g{i}",
                               packed=packed).start())
    for g in guests:
        g.wait_up()
    sw.wait_state(["a", "b", "c"], "up")
    return sw, guests


def restart(sw, tg_bin, old, tag, packed, before):
    """A new guest process on old's port (and MAC); waits until it is up
    on both sides and the switch counted its connect since before."""
    name = old.ports[0].name
    g = vt.Guest(tg_bin, old.spec, sw.dir, tag=tag, packed=packed).start()
    g.wait_up()
    sw.wait_attached(name, before)
    check_layout(sw, name, packed, f"guest {tag}")
    return g


def relearn(sw, gp, others):
    """gp's first frame after its restart: one broadcast, which each of
    others receives exactly once."""
    for g in {o.guest for o in others} | {gp.guest}:
        g.clear()
    before = sw.snapshot()
    r = gp.send("bcast", 1, flow=vt.LEARN_FLOW)
    vt.check_dict(r, {"sent": 1, "failed": 0}, f"{gp}'s broadcast")
    for o in others:
        vt.wait_flow(o, gp.mac, vt.LEARN_FLOW, 1)
    expected = {gp.name: {"rx_packets": 1, "rx_bytes": 60}}
    for o in others:
        expected[o.name] = {"tx_packets": 1, "tx_bytes": 60}
    vt.expect_delta(sw, before, expected)
    for o in others:
        vt.check_flow_exact(o, gp.mac, vt.LEARN_FLOW, 1)


def both_ways(sw, x, y, quiet, n, size, flow):
    vt.transfer(sw, x, y.mac, [y], [x] + quiet, n, size, flow)
    vt.transfer(sw, y, x.mac, [x], [y] + quiet, n, size, flow + 1)


def all_at_once(sw, a, b, c, flow, frames=20000):
    """A <-> B and A <-> C streaming at once: every flow whole and in
    order, and the switch's counters add up to exactly what was sent."""
    for g in {p.guest for p in (a, b, c)}:
        g.clear()
    flows = {flow: (a, b), flow + 1: (b, a), flow + 2: (a, c),
             flow + 3: (c, a)}
    vt.log(f"four streams at once: {flows}")
    before = sw.snapshot()
    for f, (src, dst) in flows.items():
        vt.check_eq(vt.tx_next_seq(src.stats(), f), 0, f"{src} flow {f} "
                    "fresh")
        src.stream_start(dst.mac, STREAM_PPS, length=512, flow=f)
    for f, (src, dst) in flows.items():
        vt.wait_flow(dst, src.mac, f, frames)
    sent = vt.stop_streams({p.guest for p in (a, b, c)})
    vt.log(f"streams stopped: sent {sent}")
    vt.check_streams_exact(flows, sent)
    expected = {n: {"rx_packets": 0, "rx_bytes": 0, "tx_packets": 0,
                    "tx_bytes": 0} for n in ("a", "b", "c")}
    for f, (src, dst) in flows.items():
        expected[src.name]["rx_packets"] += sent[f]
        expected[src.name]["rx_bytes"] += sent[f] * 512
        expected[dst.name]["tx_packets"] += sent[f]
        expected[dst.name]["tx_bytes"] += sent[f] * 512
    vt.expect_delta(sw, before, expected)
    for gp in (a, b, c):
        vt.check_dict(gp.stats(), {"rx_bad": 0, "rx_foreign": 0,
                                   "rx_not_for_us": 0, "rx_nombuf": 0},
                      f"{gp}: receive errors")
    sw.wait_no_mbufs_in_use()


def kill_in_stream(sw, tg_bin, ga, gb, gc, flow):
    """As test_reconnect, with packed rings: A (packed) is killed while it
    streams to B; B (packed) and C (split) stream to each other meanwhile
    and do not lose a frame. A comes back on packed rings."""
    a, b, c = ga.ports[0], gb.ports[0], gc.ports[0]
    for g in (ga, gb, gc):
        g.clear()
    before = sw.snapshot()
    fa, fbc, fcb = flow, flow + 1, flow + 2
    b.stream_start(c.mac, STREAM_PPS, length=256, flow=fbc)
    c.stream_start(b.mac, STREAM_PPS, length=256, flow=fcb)
    a.stream_start(b.mac, STREAM_PPS, length=512, flow=fa)
    vt.wait_flow(c, b.mac, fbc, 2000)
    vt.wait_flow(b, c.mac, fcb, 2000)
    vt.wait_flow(b, a.mac, fa, 2000)

    vt.log("kill -9 guest A (packed rings) while all three streams run")
    sw.kill_guest(ga, "a", before)
    got = vt.flow_received(c, b.mac, fbc)
    vt.wait_for(lambda: vt.flow_received(c, b.mac, fbc) >= got + 5000, 15,
                "B -> C progress while A is gone")

    vt.log("restart guest A on packed rings")
    ga2 = restart(sw, tg_bin, ga, "g0k", True, before)
    a2 = ga2.ports[0]
    r = a2.send("bcast", 1, flow=vt.LEARN_FLOW)
    vt.check_dict(r, {"sent": 1, "failed": 0}, "new A's broadcast")
    vt.wait_flow(b, a2.mac, vt.LEARN_FLOW, 1)
    vt.wait_flow(c, a2.mac, vt.LEARN_FLOW, 1)
    r = a2.send(b.mac, N, length=1514, flow=fa + 3, pps=STREAM_PPS)
    vt.check_dict(r, {"sent": N, "failed": 0}, "new A -> B")
    vt.wait_flow(b, a2.mac, fa + 3, N)

    stopped = {s["flow"]: s["sent"] for g in (gb, gc)
               for s in g.stream_stop()}
    vt.log(f"streams stopped: sent {stopped}")
    vt.check_after_kill(sw, before, a, a2, b, c,
                        {"a": fa, "bc": fbc, "cb": fcb, "new": fa + 3},
                        stopped, N)
    sw.wait_no_mbufs_in_use()
    # And the other way: B -> new A.
    vt.transfer(sw, b, a2.mac, [a2], [b, c], N, 1514, fa + 4)
    return ga2


def quit_and_return(sw, tg_bin, ga, others, packed, tag):
    """A quits; the switch counts one disconnect and holds no mbuf; a new
    A (packed or not) attaches on the same port, and its first frame, a
    broadcast, reaches each of others once (relearn)."""
    before = sw.snapshot()
    ga.quit()
    sw.wait_detached("a", before)
    vt.check_dict(sw.delta(before)["a"], {"disconnects": 1, "connects": 0},
                  "port a events after the quit")
    sw.wait_no_mbufs_in_use()
    ga2 = restart(sw, tg_bin, ga, tag, packed, before)
    vt.check_dict(sw.delta(before)["a"], {"disconnects": 1, "connects": 1},
                  "port a events after the return")
    relearn(sw, ga2.ports[0], others)
    return ga2


def body(sw_bin, tg_bin):
    sw, (ga, gb, gc) = start(sw_bin, tg_bin)
    a, b, c = ga.ports[0], gb.ports[0], gc.ports[0]
    check_layout(sw, "a", True, "guest A")
    check_layout(sw, "b", True, "guest B")
    check_layout(sw, "c", False, "guest C")
    vt.learn(sw, [a, b, c])
    check_idle_hold(sw)

    vt.log("packed <-> packed")
    flow = 1
    for size in SIZES:
        both_ways(sw, a, b, [c], N, size, flow)
        flow += 2
    vt.log("packed <-> split")
    for x in (a, b):
        both_ways(sw, x, c, [y for y in (a, b) if y is not x], N, 1514, flow)
        flow += 2
    both_ways(sw, a, c, [b], 2000, 60, flow)
    flow += 2
    vt.log("a flood from a packed guest to a packed and a split one")
    vt.transfer(sw, a, "bcast", [b, c], [a], 2000, 1000, flow)
    flow += 1

    all_at_once(sw, a, b, c, flow)
    flow += 4

    vt.log("A quits and returns on packed rings")
    ga = quit_and_return(sw, tg_bin, ga, [b, c], True, "g0q")
    a = ga.ports[0]
    both_ways(sw, a, b, [c], N, 1514, flow)
    flow += 2
    both_ways(sw, a, c, [b], 2000, 512, flow)
    flow += 2

    ga = kill_in_stream(sw, tg_bin, ga, gb, gc, flow)
    a = ga.ports[0]
    flow += 5

    vt.log("A returns on split rings on the same port")
    ga = quit_and_return(sw, tg_bin, ga, [b, c], False, "g0s")
    a = ga.ports[0]
    both_ways(sw, a, b, [c], N, 1514, flow)
    flow += 2
    check_layout(sw, "b", True, "guest B, all along")
    sw.wait_no_mbufs_in_use()
    # Once no guest is attached nothing polls a packed ring: the pool must
    # be full, and stay so.
    before = sw.snapshot()
    for g in (ga, gb, gc):
        g.quit()
    for name in ("a", "b", "c"):
        sw.wait_detached(name, before)
    vt.Switch.wait_no_mbufs_in_use(sw)
    vt.finish(sw, [ga, gb, gc])


if __name__ == "__main__":
    vt.run(body)
