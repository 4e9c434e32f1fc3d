/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The vhostswitch authors
 */

/*
 * DPDK telemetry endpoints, readable with dpdk-telemetry.py or any client
 * of /var/run/dpdk/<prefix>/dpdk_telemetry.v2:
 *
 *   /vhostswitch/info          version, uptime, workers, pool, FDB size
 *   /vhostswitch/ports         the port names (like /ethdev/list)
 *   /vhostswitch/port,NAME     one port: state, counters, vhost-user details
 *   /vhostswitch/lcores        every worker's cycles and packets
 *   /vhostswitch/fdb           the first VS_TEL_FDB_MAX entries, each an
 *                              array [mac, port, type, age]
 *
 * DPDK 22.11 telemetry accepts only [A-Za-z0-9_/] in dictionary keys and
 * only arrays inside arrays, while port names may hold '-' and '.' and MACs
 * ':'. So names and MACs travel as values, never as keys.
 */

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <rte_telemetry.h>

#include "vs_ctl.h"
#include "vs_dp.h"
#include "vs_eth.h"
#include "vs_vhost.h"

#define VS_TEL_FDB_MAX 128

static void
add_counters(struct rte_tel_data *d, const struct vs_port *port)
{
	struct vs_port_counters c;
	char name[64];

	vs_dp_port_counters(port, &c);
	rte_tel_data_add_dict_string(d, "state", vs_port_state_name(port));
	rte_tel_data_add_dict_string(d, "kind", vs_port_kind_name(port->kind));
	rte_tel_data_add_dict_u64(d, "index", port->index);
	rte_tel_data_add_dict_u64(d, "rx_packets", c.rx_packets);
	rte_tel_data_add_dict_u64(d, "rx_bytes", c.rx_bytes);
	rte_tel_data_add_dict_u64(d, "tx_packets", c.tx_packets);
	rte_tel_data_add_dict_u64(d, "tx_bytes", c.tx_bytes);
	rte_tel_data_add_dict_u64(d, "tx_sw_csum", c.tx_sw_csum);
	rte_tel_data_add_dict_u64(d, "tx_sw_gso", c.tx_sw_gso);
	for (int i = 0; i < VS_DROP_MAX; i++) {
		snprintf(name, sizeof(name), "drop_%s", vs_drop_names[i]);
		rte_tel_data_add_dict_u64(d, name, c.drops[i]);
	}
	rte_tel_data_add_dict_u64(d, "connects",
				  __atomic_load_n(&port->events.connects, __ATOMIC_RELAXED));
	rte_tel_data_add_dict_u64(d, "disconnects",
				  __atomic_load_n(&port->events.disconnects, __ATOMIC_RELAXED));
}

static void
add_port_name(struct vs_port *port, void *arg)
{
	rte_tel_data_add_array_string(arg, port->name);
}

static int
tel_ports(const char *cmd __rte_unused, const char *params __rte_unused,
	  struct rte_tel_data *d)
{
	rte_tel_data_start_array(d, RTE_TEL_STRING_VAL);
	vs_ctl_lock();
	vs_port_foreach(add_port_name, d);
	vs_ctl_unlock();
	return 0;
}

static int
tel_port(const char *cmd __rte_unused, const char *params,
	 struct rte_tel_data *d)
{
	struct vs_vhost_info vi;
	struct vs_eth_info ei;
	struct vs_port *port;
	char buf[32];

	if (params == NULL || params[0] == '\0')
		return -EINVAL;
	vs_ctl_lock();
	port = vs_port_by_name(params);
	if (port == NULL) {
		vs_ctl_unlock();
		return -ENOENT;
	}
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_string(d, "name", port->name);
	add_counters(d, port);
	if (vs_vhost_port_info(port, &vi) == 0) {
		rte_tel_data_add_dict_string(d, "socket", vi.path);
		rte_tel_data_add_dict_string(d, "mode", vi.client ? "client" : "server");
		rte_tel_data_add_dict_int(d, "vid", vi.vid);
		snprintf(buf, sizeof(buf), "0x%" PRIx64, vi.features);
		rte_tel_data_add_dict_string(d, "features", buf);
		rte_tel_data_add_dict_u64(d, "vrings", vi.vrings);
		rte_tel_data_add_dict_u64(d, "vrings_enabled_mask", vi.enabled_mask);
		rte_tel_data_add_dict_int(d, "numa_node", vi.numa_node);
	} else if (vs_eth_port_info(port, &ei) == 0) {
		rte_tel_data_add_dict_string(d, "device", ei.dev_name);
		rte_tel_data_add_dict_string(d, "driver", ei.driver);
		rte_tel_data_add_dict_u64(d, "port_id", ei.port_id);
		rte_tel_data_add_dict_string(d, "link", ei.link_up ? "up" : "down");
		rte_tel_data_add_dict_u64(d, "link_speed_mbps", ei.link_speed);
		rte_tel_data_add_dict_u64(d, "link_changes", ei.link_changes);
		rte_tel_data_add_dict_u64(d, "mtu", ei.mtu);
		rte_tel_data_add_dict_u64(d, "rx_queues", ei.nb_rxq);
		rte_tel_data_add_dict_u64(d, "tx_queues", ei.nb_txq);
	}
	vs_ctl_unlock();
	return 0;
}

static int
tel_lcores(const char *cmd __rte_unused, const char *params __rte_unused,
	   struct rte_tel_data *d)
{
	rte_tel_data_start_dict(d);
	vs_ctl_lock();
	for (unsigned int i = 0; i < vs_dp_worker_count(); i++) {
		struct rte_tel_data *ld;
		struct vs_worker_info wi;
		char name[32];

		if (vs_dp_worker_info(i, &wi) != 0)
			continue;
		ld = rte_tel_data_alloc();
		if (ld == NULL)
			break;
		rte_tel_data_start_dict(ld);
		rte_tel_data_add_dict_u64(ld, "rx_queues", wi.n_rxq);
		rte_tel_data_add_dict_u64(ld, "busy_cycles", wi.stats.busy_cycles);
		rte_tel_data_add_dict_u64(ld, "idle_cycles", wi.stats.idle_cycles);
		rte_tel_data_add_dict_u64(ld, "work_cycles", wi.stats.work_cycles);
		rte_tel_data_add_dict_u64(ld, "iterations", wi.stats.iterations);
		rte_tel_data_add_dict_u64(ld, "packets", wi.stats.packets);
		rte_tel_data_add_dict_u64(ld, "cycles_per_packet",
					  wi.stats.packets ? wi.stats.busy_cycles /
								     wi.stats.packets : 0);
		snprintf(name, sizeof(name), "lcore%u", wi.lcore_id);
		rte_tel_data_add_dict_container(d, name, ld, 0);
	}
	vs_ctl_unlock();
	return 0;
}

static int
tel_info(const char *cmd __rte_unused, const char *params __rte_unused,
	 struct rte_tel_data *d)
{
	const struct vs_fdb *fdb;

	rte_tel_data_start_dict(d);
	vs_ctl_lock();
	fdb = vs_dp_fdb();
	/* Asked while the switch starts or stops: no dataplane to read. */
	if (fdb == NULL) {
		vs_ctl_unlock();
		return -ENODEV;
	}
	rte_tel_data_add_dict_string(d, "version", VS_VERSION);
	rte_tel_data_add_dict_u64(d, "uptime_ms", (uint64_t)(vs_ctl_uptime() * 1000));
	rte_tel_data_add_dict_u64(d, "workers", vs_dp_worker_count());
	rte_tel_data_add_dict_u64(d, "ports", vs_port_count());
	rte_tel_data_add_dict_u64(d, "mbufs_in_use", vs_dp_mbufs_in_use());
	rte_tel_data_add_dict_u64(d, "mbufs_total", vs_dp_mbufs_total());
	rte_tel_data_add_dict_u64(d, "fdb_entries", vs_fdb_count(fdb));
	rte_tel_data_add_dict_u64(d, "fdb_max_entries", fdb->max_entries);
	rte_tel_data_add_dict_u64(d, "fdb_aging", fdb->aging);
	rte_tel_data_add_dict_u64(d, "fdb_learned",
				  __atomic_load_n(&fdb->stats.learned, __ATOMIC_RELAXED));
	rte_tel_data_add_dict_u64(d, "fdb_moved",
				  __atomic_load_n(&fdb->stats.moved, __ATOMIC_RELAXED));
	rte_tel_data_add_dict_u64(d, "fdb_aged",
				  __atomic_load_n(&fdb->stats.aged, __ATOMIC_RELAXED));
	rte_tel_data_add_dict_u64(d, "fdb_learn_full",
				  __atomic_load_n(&fdb->stats.learn_full, __ATOMIC_RELAXED));
	vs_ctl_unlock();
	return 0;
}

struct fdb_tel_ctx {
	struct rte_tel_data *entries;
	unsigned int n;
};

static int
add_fdb_entry(const struct vs_fdb_entry *e, void *arg)
{
	struct fdb_tel_ctx *ctx = arg;
	struct vs_port *port = vs_port_by_index(e->port);
	struct rte_tel_data *ed = rte_tel_data_alloc();
	char mac[18], age[16];

	if (ed == NULL)
		return 1;
	vs_mac_format(e->mac, mac, sizeof(mac));
	snprintf(age, sizeof(age), "%u", e->is_static ? 0 : e->age);
	rte_tel_data_start_array(ed, RTE_TEL_STRING_VAL);
	rte_tel_data_add_array_string(ed, mac);
	rte_tel_data_add_array_string(ed, port != NULL ? port->name : "?");
	rte_tel_data_add_array_string(ed, e->is_static ? "static" : "dynamic");
	rte_tel_data_add_array_string(ed, age);
	if (rte_tel_data_add_array_container(ctx->entries, ed, 0) != 0) {
		rte_tel_data_free(ed);
		return 1;
	}
	return ++ctx->n >= VS_TEL_FDB_MAX;
}

static int
tel_fdb(const char *cmd __rte_unused, const char *params __rte_unused,
	struct rte_tel_data *d)
{
	struct fdb_tel_ctx ctx = { .entries = d };

	rte_tel_data_start_array(d, RTE_TEL_CONTAINER);
	vs_ctl_lock();
	if (vs_dp_fdb() != NULL)
		vs_fdb_walk(vs_dp_fdb(), add_fdb_entry, &ctx);
	vs_ctl_unlock();
	return 0;
}

int
vs_telemetry_register(void)
{
	int ret = 0;

	ret |= rte_telemetry_register_cmd("/vhostswitch/info", tel_info,
		"Switch version, uptime, pool and FDB summary. No parameters");
	ret |= rte_telemetry_register_cmd("/vhostswitch/ports", tel_ports,
		"The port names. No parameters");
	ret |= rte_telemetry_register_cmd("/vhostswitch/port", tel_port,
		"One port in detail. Parameters: port name");
	ret |= rte_telemetry_register_cmd("/vhostswitch/lcores", tel_lcores,
		"Worker lcores: cycles, packets, queues. No parameters");
	ret |= rte_telemetry_register_cmd("/vhostswitch/fdb", tel_fdb,
		"The first FDB entries, each [mac, port, type, age]. No parameters");
	return ret == 0 ? 0 : -EINVAL;
}
