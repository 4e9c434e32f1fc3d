# SPDX-License-Identifier: BSD-3-Clause
"""Offloads on and off, per port and for the whole switch.

A switch started as usual: its --vhost ports and a port added without an
offload word say "offload on", one added with "offload off" says off;
neither has a guest yet, so neither takes anything ("tx_offloads none").
A switch started with --no-offload: its --vhost ports and a port added
without the word say off, one added with "offload on" says on. With a
virtio-user guest attached (DPDK's virtio PMD asks for no offload unless
configured to), its frames go through both ways and nothing is done in
software (tx_sw_csum, tx_sw_gso 0)."""

import vstest as vt


def offload_of(ctl, name):
    show = ctl.json("port", "show", name)
    return show.get("offload"), show.get("tx_offloads")


def body(sw_bin, tg_bin):
    vt.require_hugepages()
    ctl_bin = vt.ctl_binary(sw_bin)
    soft = vt.Soft()

    vt.log("offloads on by default")
    sw = vt.Switch(sw_bin, ["a", "b"]).start()
    ctl = vt.Ctl(ctl_bin, vt.ctl_socket(sw))
    ctl.ok("port", "add", "vhost", "c", "socket", f"{sw.dir}/c.sock")
    ctl.ok("port", "add", "vhost", "d", "socket", f"{sw.dir}/d.sock",
           "offload", "off")
    ctl.ok("port", "add", "vhost", "e", "socket", f"{sw.dir}/e.sock",
           "queues", "2", "offload", "on", "client")
    for name, want in (("a", "on"), ("b", "on"), ("c", "on"), ("d", "off"),
                       ("e", "on")):
        soft.eq(offload_of(ctl, name), (want, "none"), f"port {name}")
    sw.stop()

    vt.log("--no-offload: off unless a port says on")
    sw = vt.Switch(sw_bin, ["a", "b"], extra=["--no-offload"]).start()
    ctl = vt.Ctl(ctl_bin, vt.ctl_socket(sw))
    ctl.ok("port", "add", "vhost", "c", "socket", f"{sw.dir}/c.sock")
    ctl.ok("port", "add", "vhost", "d", "socket", f"{sw.dir}/d.sock",
           "offload", "on")
    for name, want in (("a", "off"), ("b", "off"), ("c", "off"),
                       ("d", "on")):
        soft.eq(offload_of(ctl, name), (want, "none"), f"port {name}")
    ctl.ok("port", "del", "c")
    ctl.ok("port", "del", "d")

    g = vt.Guest(tg_bin, [("a", sw.sockets["a"], "02:00:00:00:00:0a"),
                          ("b", sw.sockets["b"], "02:00:00:00:00:0b")],
                 sw.dir).start()
    g.wait_up()
    sw.wait_state(["a", "b"], "up")
    pa, pb = g.ports
    vt.transfer(sw, pa, "02:00:00:00:00:0b", [pb], [pa], 500, 300, 1)
    vt.transfer(sw, pb, "02:00:00:00:00:0a", [pa], [pb], 500, 300, 2)
    sw.wait_no_mbufs_in_use()
    for name in ("a", "b"):
        show = ctl.json("port", "show", name)
        soft.eq((show["offload"], show["tx_sw_csum"], show["tx_sw_gso"]),
                ("off", 0, 0), f"port {name} after traffic")
        feats = int(show["features"], 16)
        soft.eq(feats & ((1 << 0) | (1 << 1) | (1 << 7) | (1 << 11)), 0,
                f"port {name}: no CSUM, GUEST_CSUM, GUEST_TSO4, HOST_TSO4 "
                f"negotiated (features {show['features']})")
    g.quit()
    sw.stop()
    soft.fail()


if __name__ == "__main__":
    vt.run(body)
