/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The vhostswitch authors
 */

/*
 * The switch's commands. Each handler checks every argument first and
 * returns in a dry run before it changes anything (see vs_cmd.h). Handlers
 * run with the control lock held.
 */

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <rte_log.h>
#include <rte_version.h>

#include "vs_cmd.h"
#include "vs_ctl.h"
#include "vs_dp.h"
#include "vs_eth.h"
#include "vs_l2.h"
#include "vs_offload.h"
#include "vs_vhost.h"

#define VS_FDB_SHOW_MAX 4096

/* "port add" without "offload on|off": this. Set once, before commands run. */
static bool offload_default = true;

void
vs_cmds_set_offload_default(bool on)
{
	offload_default = on;
}

/*
 * Checks that a command's port exists and stores it in *port. In a dry run
 * the port may exist only in the shadow, so *port may be NULL there:
 * handlers use it only after their dry-run return.
 */
static int
need_port(struct vs_cmd_ctx *ctx, const char *name, struct vs_port **port)
{
	*port = NULL;
	if (vs_arg_port_name(ctx, name) < 0)
		return -1;
	if (!vs_cmd_port_exists(ctx, name))
		return vs_cmd_error(ctx, "no port named '%s'", name);
	*port = vs_port_by_name(name);
	return 0;
}

/* Parses "offload on|off", shared by both port kinds. */
static int
parse_offload(struct vs_cmd_ctx *ctx, int argc, char **argv, int *i, bool *off)
{
	char word[40];

	if (*i + 1 >= argc)
		return vs_cmd_error(ctx, "offload needs on or off");
	if (strcmp(argv[*i + 1], "on") == 0)
		*off = false;
	else if (strcmp(argv[*i + 1], "off") == 0)
		*off = true;
	else
		return vs_cmd_error(ctx, "offload must be on or off, not '%s'",
				    vs_cmd_word(argv[*i + 1], word, sizeof(word)));
	*i += 1;
	return 0;
}

/* The VS_OL_* bits as words, for people. */
static void
add_offloads(struct vs_val *o, bool enabled, uint32_t caps)
{
	vs_val_add_str(o, "offload", enabled ? "on" : "off");
	vs_val_add_strf(o, "tx_offloads", "%s%s%s", caps & VS_OL_CSUM ? "csum" : "",
			(caps & VS_OL_CSUM) && (caps & VS_OL_TSO4) ? "," : "",
			caps & VS_OL_TSO4 ? "tso4" : caps ? "" : "none");
}

/* Parses "[queues N]" style options shared by both port kinds. */
static int
parse_queues(struct vs_cmd_ctx *ctx, int argc, char **argv, int *i,
	     uint64_t *queues)
{
	if (*i + 1 >= argc)
		return vs_cmd_error(ctx, "queues needs a number");
	if (vs_arg_uint(ctx, "queues", argv[*i + 1], 1, VS_PORT_QUEUES_MAX,
			queues) < 0)
		return -1;
	*i += 1;
	return 0;
}

/* A new port's name is free and the bridge has room for it. */
static int
check_new_port(struct vs_cmd_ctx *ctx, const char *name)
{
	if (vs_cmd_port_exists(ctx, name))
		return vs_cmd_error(ctx, "a port named '%s' exists", name);
	if (vs_cmd_port_count(ctx) >= VS_MAX_PORTS)
		return vs_cmd_error(ctx, "too many ports (at most %d)", VS_MAX_PORTS);
	return 0;
}

/* Puts a port just created on the bridge, or destroys it again. */
static int
attach_new_port(struct vs_cmd_ctx *ctx, struct vs_port *port)
{
	int ret = vs_dp_port_attach(port);

	if (ret < 0) {
		port->ops->destroy(port);
		return vs_cmd_error(ctx, "cannot attach port: %s", strerror(-ret));
	}
	return 0;
}

static int
cmd_port_add_vhost(struct vs_cmd_ctx *ctx, int argc, char **argv)
{
	struct vs_vhost_params params = { .name = argv[0], .queues = 1,
					  .no_offload = !offload_default };
	char err[VS_CMD_ERR_MAX], word[128];
	uint64_t queues = 1;
	struct vs_port *port;

	if (vs_arg_port_name(ctx, argv[0]) < 0)
		return -1;
	if (strcmp(argv[1], "socket") != 0)
		return vs_cmd_error(ctx, "expected 'socket PATH' after the port name");
	params.path = argv[2];
	for (int i = 3; i < argc; i++) {
		if (strcmp(argv[i], "client") == 0)
			params.client = true;
		else if (strcmp(argv[i], "queues") == 0) {
			if (parse_queues(ctx, argc, argv, &i, &queues) < 0)
				return -1;
		} else if (strcmp(argv[i], "offload") == 0) {
			if (parse_offload(ctx, argc, argv, &i, &params.no_offload) < 0)
				return -1;
		} else
			return vs_cmd_error(ctx, "unexpected '%s' (expected client, queues N "
					    "or offload on|off)", vs_cmd_word(argv[i], word, 40));
	}
	params.queues = (uint16_t)queues;
	if (check_new_port(ctx, argv[0]) < 0)
		return -1;
	/* Ours first: our own live socket would also answer as "in use". */
	if (vs_cmd_path_used(ctx, params.path))
		return vs_cmd_error(ctx, "socket %s is used by another port",
				    vs_cmd_word(params.path, word, sizeof(word)));
	if (vs_vhost_check_path(params.path, params.client, err, sizeof(err)) < 0)
		return vs_cmd_error(ctx, "%s", err);
	if (ctx->dry_run)
		return vs_cmd_shadow_add(ctx, argv[0], params.path);

	err[0] = '\0';
	port = vs_vhost_port_create(&params, err, sizeof(err));
	if (port == NULL)
		return vs_cmd_error(ctx, "%s", err);
	if (attach_new_port(ctx, port) < 0)
		return -1;
	vs_val_add_strf(ctx->out, "message", "port %s added: vhost-user %s %s",
			argv[0], params.client ? "client of" : "server on",
			params.path);
	return 0;
}

static int
cmd_port_add_eth(struct vs_cmd_ctx *ctx, int argc, char **argv)
{
	struct vs_eth_params params = { .name = argv[0], .devargs = argv[2],
					.no_offload = !offload_default };
	char err[VS_CMD_ERR_MAX], word[40];
	uint64_t queues = 1;
	struct vs_port *port;

	if (vs_arg_port_name(ctx, argv[0]) < 0)
		return -1;
	if (strcmp(argv[1], "dev") != 0)
		return vs_cmd_error(ctx, "expected 'dev DEVARGS' after the port name");
	for (int i = 3; i < argc; i++) {
		if (strcmp(argv[i], "queues") == 0) {
			if (parse_queues(ctx, argc, argv, &i, &queues) < 0)
				return -1;
		} else if (strcmp(argv[i], "offload") == 0) {
			if (parse_offload(ctx, argc, argv, &i, &params.no_offload) < 0)
				return -1;
		} else {
			return vs_cmd_error(ctx, "unexpected '%s' (expected queues N or "
					    "offload on|off)",
					    vs_cmd_word(argv[i], word, sizeof(word)));
		}
	}
	if (argv[2][0] == '\0' || strlen(argv[2]) > 255)
		return vs_cmd_error(ctx, "DEVARGS must be 1 to 255 characters");
	if (check_new_port(ctx, argv[0]) < 0)
		return -1;
	if (ctx->dry_run)
		return vs_cmd_shadow_add(ctx, argv[0], NULL);

	params.queues = (uint16_t)queues;
	err[0] = '\0';
	port = vs_eth_port_create(&params, err, sizeof(err));
	if (port == NULL)
		return vs_cmd_error(ctx, "%s", err);
	if (attach_new_port(ctx, port) < 0)
		return -1;
	vs_val_add_strf(ctx->out, "message", "port %s added: %s", argv[0],
			vs_cmd_word(argv[2], err, 64));
	return 0;
}

static int
cmd_port_del(struct vs_cmd_ctx *ctx, int argc __rte_unused, char **argv)
{
	struct vs_port *port;

	if (need_port(ctx, argv[0], &port) < 0)
		return -1;
	if (ctx->dry_run)
		return vs_cmd_shadow_del(ctx, argv[0]);
	vs_dp_port_detach(port);
	port->ops->destroy(port);
	vs_val_add_strf(ctx->out, "message", "port %s removed", argv[0]);
	return 0;
}

static uint64_t
drops_total(const struct vs_port_counters *c)
{
	uint64_t sum = 0;

	for (int d = 0; d < VS_DROP_MAX; d++)
		sum += c->drops[d];
	return sum;
}

struct list_ctx {
	struct vs_val *arr;
	bool counters; /* stats: bytes too */
};

static void
list_port(struct vs_port *port, void *arg)
{
	struct list_ctx *lc = arg;
	struct vs_val *row = vs_val_add_obj(lc->arr, NULL);
	struct vs_port_counters c;
	struct vs_vhost_info vi;

	vs_dp_port_counters(port, &c);
	vs_val_add_str(row, "name", port->name);
	if (!lc->counters) {
		vs_val_add_str(row, "kind", vs_port_kind_name(port->kind));
		vs_val_add_str(row, "state", vs_port_state_name(port));
		if (vs_vhost_port_info(port, &vi) == 0) {
			vs_val_add_str(row, "mode", vi.client ? "client" : "server");
			vs_val_add_str(row, "socket", vi.path);
		}
	}
	vs_val_add_u64(row, "rx_packets", c.rx_packets);
	if (lc->counters)
		vs_val_add_u64(row, "rx_bytes", c.rx_bytes);
	vs_val_add_u64(row, "tx_packets", c.tx_packets);
	if (lc->counters)
		vs_val_add_u64(row, "tx_bytes", c.tx_bytes);
	vs_val_add_u64(row, "drops", drops_total(&c));
}

static int
cmd_port_list(struct vs_cmd_ctx *ctx, int argc __rte_unused,
	      char **argv __rte_unused)
{
	struct list_ctx lc = { .counters = false };

	if (ctx->dry_run)
		return 0;
	lc.arr = vs_val_add_arr(ctx->out, "ports");
	vs_port_foreach(list_port, &lc);
	return 0;
}

static void
add_port_counters(struct vs_val *obj, const struct vs_port *port)
{
	struct vs_port_counters c;
	struct vs_val *drops;

	vs_dp_port_counters(port, &c);
	vs_val_add_u64(obj, "rx_packets", c.rx_packets);
	vs_val_add_u64(obj, "rx_bytes", c.rx_bytes);
	vs_val_add_u64(obj, "tx_packets", c.tx_packets);
	vs_val_add_u64(obj, "tx_bytes", c.tx_bytes);
	vs_val_add_u64(obj, "tx_sw_csum", c.tx_sw_csum);
	vs_val_add_u64(obj, "tx_sw_gso", c.tx_sw_gso);
	drops = vs_val_add_obj(obj, "drops");
	for (int d = 0; d < VS_DROP_MAX; d++)
		vs_val_add_u64(drops, vs_drop_names[d], c.drops[d]);
}

static void
add_xstat(const char *name, uint64_t value, void *arg)
{
	vs_val_add_u64(arg, name, value);
}

static int
cmd_port_show(struct vs_cmd_ctx *ctx, int argc __rte_unused, char **argv)
{
	struct vs_port *port, *peer;
	struct vs_vhost_info vi;
	struct vs_eth_info ei;
	struct vs_val *o, *queues;

	if (need_port(ctx, argv[0], &port) < 0)
		return -1;
	if (ctx->dry_run)
		return 0;
	o = ctx->out;
	vs_val_add_str(o, "name", port->name);
	vs_val_add_str(o, "kind", vs_port_kind_name(port->kind));
	vs_val_add_str(o, "state", vs_port_state_name(port));
	vs_val_add_u64(o, "index", port->index);
	if (vs_vhost_port_info(port, &vi) == 0) {
		vs_val_add_str(o, "socket", vi.path);
		vs_val_add_str(o, "mode", vi.client ? "client" : "server");
		vs_val_add_i64(o, "vid", vi.vid);
		vs_val_add_strf(o, "features", "0x%" PRIx64, vi.features);
		vs_val_add_u64(o, "vrings", vi.vrings);
		vs_val_add_strf(o, "vrings_enabled", "0x%x", vi.enabled_mask);
		vs_val_add_i64(o, "numa_node", vi.numa_node);
		add_offloads(o, vi.offload, port->tx_offloads);
	}
	if (vs_eth_port_info(port, &ei) == 0) {
		struct vs_val *x;

		vs_val_add_str(o, "device", ei.dev_name);
		vs_val_add_str(o, "devargs", ei.devargs);
		vs_val_add_str(o, "driver", ei.driver);
		vs_val_add_u64(o, "port_id", ei.port_id);
		vs_val_add_str(o, "link", ei.link_up ? "up" : "down");
		vs_val_add_u64(o, "link_speed_mbps", ei.link_speed);
		vs_val_add_u64(o, "link_changes", ei.link_changes);
		vs_val_add_str(o, "link_events", ei.lsc_interrupt ? "interrupt" : "polled");
		vs_val_add_u64(o, "mtu", ei.mtu);
		vs_val_add_u64(o, "rx_queues", ei.nb_rxq);
		vs_val_add_u64(o, "tx_queues", ei.nb_txq);
		vs_val_add_str(o, "tx_queue_mode", ei.txq_per_worker ? "per worker" : "per rx queue");
		add_offloads(o, ei.offload, port->tx_offloads);
		x = vs_val_add_obj(o, "xstats");
		vs_eth_xstats(port, add_xstat, x);
	}
	peer = vs_dp_xconnect_peer(port);
	vs_val_add_str(o, "xconnect", peer ? peer->name : "");
	vs_val_add_u64(o, "connects",
		       __atomic_load_n(&port->events.connects, __ATOMIC_RELAXED));
	vs_val_add_u64(o, "disconnects",
		       __atomic_load_n(&port->events.disconnects, __ATOMIC_RELAXED));
	vs_val_add_u64(o, "numa_fallbacks",
		       __atomic_load_n(&port->events.numa_fallbacks, __ATOMIC_RELAXED));
	add_port_counters(o, port);
	queues = vs_val_add_arr(o, "queues");
	for (uint16_t q = 0; q < port->nb_queues; q++) {
		struct vs_queue_info qi;
		struct vs_val *row;

		if (vs_dp_queue_info(port, q, &qi) != 0)
			continue;
		row = vs_val_add_obj(queues, NULL);
		vs_val_add_u64(row, "queue", q);
		vs_val_add_i64(row, "lcore", qi.lcore);
		vs_val_add_bool(row, "pinned", qi.pinned);
		vs_val_add_bool(row, "enabled", qi.rx_enabled);
		vs_val_add_u64(row, "rx_packets", qi.rx_packets);
		vs_val_add_u64(row, "tx_packets", qi.tx_packets);
		/* What the queue's frames cost its worker, as work cycles count. */
		vs_val_add_u64(row, "rx_cycles", qi.rx_cycles);
		vs_val_add_dbl(row, "cycles_per_packet", vs_ratio(qi.rx_cycles, qi.rx_packets));
	}
	return 0;
}

static int
cmd_stats(struct vs_cmd_ctx *ctx, int argc, char **argv)
{
	struct list_ctx lc = { .counters = true };
	struct vs_port *port;

	if (argc == 1) {
		if (need_port(ctx, argv[0], &port) < 0)
			return -1;
		if (ctx->dry_run)
			return 0;
		vs_val_add_str(ctx->out, "name", port->name);
		add_port_counters(ctx->out, port);
		return 0;
	}
	if (ctx->dry_run)
		return 0;
	lc.arr = vs_val_add_arr(ctx->out, "ports");
	vs_port_foreach(list_port, &lc);
	vs_val_add_u64(ctx->out, "mbufs_in_use", vs_dp_mbufs_in_use());
	return 0;
}

static int
cmd_stats_clear(struct vs_cmd_ctx *ctx, int argc __rte_unused,
		char **argv __rte_unused)
{
	if (ctx->dry_run)
		return 0;
	vs_dp_counters_clear();
	vs_val_add_str(ctx->out, "message", "counters cleared");
	return 0;
}

struct fdb_show_ctx {
	struct vs_val *arr;
	unsigned int n;
};

static int
fdb_show_entry(const struct vs_fdb_entry *e, void *arg)
{
	struct fdb_show_ctx *fc = arg;
	struct vs_port *port = vs_port_by_index(e->port);
	struct vs_val *row = vs_val_add_obj(fc->arr, NULL);
	char mac[18];

	vs_mac_format(e->mac, mac, sizeof(mac));
	vs_val_add_str(row, "mac", mac);
	vs_val_add_str(row, "port", port != NULL ? port->name : "?");
	vs_val_add_str(row, "type", e->is_static ? "static" : "dynamic");
	if (e->is_static)
		vs_val_add_str(row, "age", "-");
	else
		vs_val_add_strf(row, "age", "%u", e->age);
	return ++fc->n >= VS_FDB_SHOW_MAX;
}

static int
cmd_fdb_show(struct vs_cmd_ctx *ctx, int argc __rte_unused,
	     char **argv __rte_unused)
{
	struct fdb_show_ctx fc = { 0 };
	struct vs_fdb *fdb = vs_dp_fdb();

	if (ctx->dry_run)
		return 0;
	vs_val_add_u64(ctx->out, "count", vs_fdb_count(fdb));
	vs_val_add_u64(ctx->out, "aging", fdb->aging);
	fc.arr = vs_val_add_arr(ctx->out, "entries");
	vs_fdb_walk(fdb, fdb_show_entry, &fc);
	if (fc.n < vs_fdb_count(fdb))
		vs_val_add_strf(ctx->out, "message", "(first %u entries shown)", fc.n);
	return 0;
}

static int
cmd_fdb_flush(struct vs_cmd_ctx *ctx, int argc, char **argv)
{
	struct vs_port *port = NULL;
	unsigned int n;

	if (argc == 1 && need_port(ctx, argv[0], &port) < 0)
		return -1;
	if (ctx->dry_run)
		return 0;
	n = vs_fdb_flush(vs_dp_fdb(), port ? port->index : -1, false);
	vs_val_add_strf(ctx->out, "message", "%u entries flushed", n);
	return 0;
}

static int
cmd_fdb_add(struct vs_cmd_ctx *ctx, int argc __rte_unused, char **argv)
{
	struct vs_port *port;
	uint64_t mac;
	int ret;

	if (need_port(ctx, argv[0], &port) < 0 || vs_arg_mac(ctx, argv[1], &mac) < 0)
		return -1;
	if (!vs_mac_is_valid_src(mac))
		return vs_cmd_error(ctx, "%s is not a station address (zero or group)",
				    argv[1]);
	if (ctx->dry_run)
		return 0;
	if (vs_dp_xconnect_peer(port) != NULL)
		return vs_cmd_error(ctx, "port %s is cross-connected, not bridged",
				    port->name);
	ret = vs_fdb_add_static(vs_dp_fdb(), mac, port->index);
	if (ret < 0)
		return vs_cmd_error(ctx, "cannot add %s: %s", argv[1],
				    ret == -ENOSPC ? "FDB full" : strerror(-ret));
	vs_val_add_strf(ctx->out, "message", "%s -> %s (static)", argv[1], port->name);
	return 0;
}

static int
cmd_fdb_del(struct vs_cmd_ctx *ctx, int argc __rte_unused, char **argv)
{
	uint64_t mac;

	if (vs_arg_mac(ctx, argv[0], &mac) < 0)
		return -1;
	if (ctx->dry_run)
		return 0;
	if (vs_fdb_del(vs_dp_fdb(), mac) < 0)
		return vs_cmd_error(ctx, "%s is not in the FDB", argv[0]);
	vs_val_add_strf(ctx->out, "message", "%s removed", argv[0]);
	return 0;
}

static int
cmd_bridge_aging(struct vs_cmd_ctx *ctx, int argc __rte_unused, char **argv)
{
	uint64_t secs;

	if (vs_arg_uint(ctx, "aging", argv[0], 1, 1000000, &secs) < 0)
		return -1;
	if (ctx->dry_run)
		return 0;
	vs_dp_set_aging((uint32_t)secs);
	vs_val_add_strf(ctx->out, "message", "FDB ageing time %" PRIu64 " s", secs);
	return 0;
}

static int
cmd_xconnect(struct vs_cmd_ctx *ctx, int argc __rte_unused, char **argv)
{
	struct vs_port *a, *b;
	int ret;

	if (need_port(ctx, argv[0], &a) < 0 || need_port(ctx, argv[1], &b) < 0)
		return -1;
	if (strcmp(argv[0], argv[1]) == 0)
		return vs_cmd_error(ctx, "cannot cross-connect a port with itself");
	if (ctx->dry_run)
		return 0;
	ret = vs_dp_xconnect(a, b);
	if (ret == -EBUSY)
		return vs_cmd_error(ctx, "%s is already cross-connected",
				    vs_dp_xconnect_peer(a) ? a->name : b->name);
	if (ret < 0)
		return vs_cmd_error(ctx, "cannot cross-connect: %s", strerror(-ret));
	vs_val_add_strf(ctx->out, "message", "%s <-> %s cross-connected", a->name,
			b->name);
	return 0;
}

static int
cmd_xconnect_del(struct vs_cmd_ctx *ctx, int argc __rte_unused, char **argv)
{
	struct vs_port *a, *b;

	if (need_port(ctx, argv[0], &a) < 0)
		return -1;
	if (ctx->dry_run)
		return 0;
	b = vs_dp_xconnect_peer(a);
	if (b == NULL)
		return vs_cmd_error(ctx, "port %s is not cross-connected", a->name);
	if (vs_dp_xconnect_del(a) < 0)
		return vs_cmd_error(ctx, "out of memory");
	vs_val_add_strf(ctx->out, "message", "%s and %s back on the bridge", a->name,
			b->name);
	return 0;
}

static int
cmd_lcore_show(struct vs_cmd_ctx *ctx, int argc __rte_unused,
	       char **argv __rte_unused)
{
	struct vs_val *arr;

	if (ctx->dry_run)
		return 0;
	arr = vs_val_add_arr(ctx->out, "lcores");
	for (unsigned int i = 0; i < vs_dp_worker_count(); i++) {
		struct vs_worker_info wi;
		struct vs_val *row;
		char queues[256] = "";
		size_t off = 0;
		uint64_t total;

		if (vs_dp_worker_info(i, &wi) != 0)
			continue;
		for (unsigned int q = 0; q < wi.n_rxq && q < VS_WORKER_INFO_RXQS; q++) {
			struct vs_port *p = vs_port_by_index(wi.rxqs[q].port);
			int n = snprintf(queues + off, sizeof(queues) - off, "%s%s:%u",
					 off ? " " : "", p ? p->name : "?", wi.rxqs[q].qid);

			if (n < 0 || (size_t)n >= sizeof(queues) - off)
				break;
			off += (size_t)n;
		}
		total = wi.stats.busy_cycles + wi.stats.idle_cycles;
		row = vs_val_add_obj(arr, NULL);
		vs_val_add_u64(row, "lcore", wi.lcore_id);
		vs_val_add_i64(row, "node", wi.numa_node);
		vs_val_add_u64(row, "packets", wi.stats.packets);
		vs_val_add_u64(row, "busy_cycles", wi.stats.busy_cycles);
		vs_val_add_u64(row, "idle_cycles", wi.stats.idle_cycles);
		vs_val_add_dbl(row, "busy_pct", 100.0 * vs_ratio(wi.stats.busy_cycles, total));
		vs_val_add_dbl(row, "cycles_per_packet",
			       vs_ratio(wi.stats.busy_cycles, wi.stats.packets));
		vs_val_add_u64(row, "work_cycles", wi.stats.work_cycles);
		vs_val_add_dbl(row, "work_cycles_per_packet",
			       vs_ratio(wi.stats.work_cycles, wi.stats.packets));
		vs_val_add_u64(row, "ring_drops", wi.ring_drops);
		vs_val_add_u64(row, "rx_queues", wi.n_rxq);
		vs_val_add_str(row, "polls", queues);
	}
	return 0;
}

static int
port_set_mtu(struct vs_cmd_ctx *ctx, struct vs_port *port, int argc, char **argv)
{
	char err[VS_CMD_ERR_MAX];
	uint64_t mtu;

	if (argc != 3)
		return vs_cmd_error(ctx, "usage: port set NAME mtu N");
	if (vs_arg_uint(ctx, "mtu", argv[2], 68, VS_ETH_MAX_MTU, &mtu) < 0)
		return -1;
	if (ctx->dry_run)
		return 0;
	if (port->kind != VS_PORT_KIND_ETH)
		return vs_cmd_error(ctx, "port %s is a vhost-user port: its MTU is the guest's",
				    port->name);
	if (vs_eth_set_mtu(port, (uint16_t)mtu, err, sizeof(err)) < 0)
		return vs_cmd_error(ctx, "%s", err);
	vs_val_add_strf(ctx->out, "message", "port %s: MTU %" PRIu64, port->name, mtu);
	return 0;
}

static int
cmd_port_set(struct vs_cmd_ctx *ctx, int argc, char **argv)
{
	struct vs_port *port;
	uint64_t q, lcore = 0;
	bool unpin;
	int ret;

	if (need_port(ctx, argv[0], &port) < 0)
		return -1;
	if (strcmp(argv[1], "mtu") == 0)
		return port_set_mtu(ctx, port, argc, argv);
	if (argc < 4 || strcmp(argv[1], "rxq") != 0)
		return vs_cmd_error(ctx, "usage: port set NAME rxq Q lcore L|auto, or port set NAME mtu N");
	if (vs_arg_uint(ctx, "queue", argv[2], 0, VS_PORT_QUEUES_MAX - 1, &q) < 0)
		return -1;
	unpin = argc == 4 && strcmp(argv[3], "auto") == 0;
	if (!unpin) {
		if (argc != 5 || strcmp(argv[3], "lcore") != 0)
			return vs_cmd_error(ctx, "usage: port set NAME rxq Q lcore L|auto");
		if (vs_arg_uint(ctx, "lcore", argv[4], 0, RTE_MAX_LCORE - 1, &lcore) < 0)
			return -1;
	}
	if (ctx->dry_run)
		return 0;
	if (q >= port->nb_queues)
		return vs_cmd_error(ctx, "port %s has %u queue pair(s): no queue %" PRIu64,
				    port->name, port->nb_queues, q);
	ret = vs_dp_pin(port, (uint16_t)q, unpin ? -1 : (int)lcore);
	if (ret == -ENODEV)
		return vs_cmd_error(ctx, "lcore %" PRIu64 " is not a worker (see lcore show)",
				    lcore);
	if (ret < 0)
		return vs_cmd_error(ctx, "cannot move the queue: %s", strerror(-ret));
	if (unpin)
		vs_val_add_strf(ctx->out, "message",
				"%s rxq %" PRIu64 " unpinned (it moves at the next rebalance)",
				port->name, q);
	else
		vs_val_add_strf(ctx->out, "message", "%s rxq %" PRIu64 " pinned to lcore %" PRIu64,
				port->name, q, lcore);
	return 0;
}

static int
cmd_rebalance(struct vs_cmd_ctx *ctx, int argc, char **argv)
{
	enum vs_rebalance_policy policy = VS_REBALANCE_CYCLES;
	int moved;

	if (argc == 1) {
		if (strcmp(argv[0], "roundrobin") == 0)
			policy = VS_REBALANCE_ROUNDROBIN;
		else if (strcmp(argv[0], "cycles") != 0)
			return vs_cmd_error(ctx, "usage: rebalance [cycles|roundrobin]");
	}
	if (ctx->dry_run)
		return 0;
	moved = vs_dp_rebalance(policy);
	if (moved < 0)
		return vs_cmd_error(ctx, "cannot rebalance: %s", strerror(-moved));
	vs_val_add_strf(ctx->out, "message", "%d queue(s) moved", moved);
	return 0;
}

static int
cmd_rebalance_auto(struct vs_cmd_ctx *ctx, int argc, char **argv)
{
	unsigned int threshold, interval;
	uint64_t runs, v;
	bool on;

	vs_dp_get_auto_rebalance(&on, &threshold, &interval, &runs);
	if (strcmp(argv[0], "on") == 0)
		on = true;
	else if (strcmp(argv[0], "off") == 0)
		on = false;
	else if (strcmp(argv[0], "show") != 0 || argc > 1)
		return vs_cmd_error(ctx, "usage: rebalance auto on|off|show [threshold PCT] [interval SECONDS]");
	for (int i = 1; i < argc; i += 2) {
		if (strcmp(argv[i], "threshold") != 0 && strcmp(argv[i], "interval") != 0)
			return vs_cmd_error(ctx, "usage: rebalance auto on|off|show [threshold PCT] [interval SECONDS]");
		if (i + 1 >= argc)
			return vs_cmd_error(ctx, "%s needs a value",
					    strcmp(argv[i], "threshold") == 0 ?
					    "threshold" : "interval");
		if (strcmp(argv[i], "threshold") == 0) {
			if (vs_arg_uint(ctx, "threshold", argv[i + 1], 1, 100, &v) < 0)
				return -1;
			threshold = (unsigned int)v;
		} else if (strcmp(argv[i], "interval") == 0) {
			if (vs_arg_uint(ctx, "interval", argv[i + 1], 1, 86400, &v) < 0)
				return -1;
			interval = (unsigned int)v;
		}
	}
	if (ctx->dry_run)
		return 0;
	vs_dp_set_auto_rebalance(on, threshold, interval);
	vs_val_add_bool(ctx->out, "auto", on);
	vs_val_add_u64(ctx->out, "threshold_pct", threshold);
	vs_val_add_u64(ctx->out, "interval_s", interval);
	vs_val_add_u64(ctx->out, "runs", runs);
	return 0;
}

static const struct {
	const char *name;
	uint32_t level;
} log_levels[] = {
	{ "emerg", RTE_LOG_EMERG }, { "alert", RTE_LOG_ALERT },
	{ "crit", RTE_LOG_CRIT },   { "err", RTE_LOG_ERR },
	{ "error", RTE_LOG_ERR },   { "warning", RTE_LOG_WARNING },
	{ "notice", RTE_LOG_NOTICE }, { "info", RTE_LOG_INFO },
	{ "debug", RTE_LOG_DEBUG },
};

static const struct {
	const char *component;
	const char *pattern;
} log_components[] = {
	{ "all", "*" },
	{ "config", "vhostswitch.config" },
	{ "data", "vhostswitch.data" },
	{ "vhost", "lib.vhost.*" },
	{ "eal", "lib.eal" },
};

static int
cmd_log_level(struct vs_cmd_ctx *ctx, int argc, char **argv)
{
	const char *pattern = "vhostswitch.*";
	const char *level_arg = argv[argc - 1];
	int level = -1;
	bool known = false;
	char word[40];

	for (size_t i = 0; i < RTE_DIM(log_levels); i++)
		if (strcmp(level_arg, log_levels[i].name) == 0)
			level = (int)log_levels[i].level;
	if (level < 0)
		return vs_cmd_error(ctx, "unknown log level '%s' (emerg alert crit err warning notice info debug)",
				    vs_cmd_word(level_arg, word, sizeof(word)));
	if (argc == 2) {
		for (size_t i = 0; i < RTE_DIM(log_components); i++) {
			if (strcmp(argv[0], log_components[i].component) == 0) {
				pattern = log_components[i].pattern;
				known = true;
			}
		}
		if (!known)
			return vs_cmd_error(ctx, "unknown component '%s' (all config data vhost eal)",
					    vs_cmd_word(argv[0], word, sizeof(word)));
	}
	if (ctx->dry_run)
		return 0;
	if (rte_log_set_level_pattern(pattern, (uint32_t)level) < 0)
		return vs_cmd_error(ctx, "cannot set the level of %s", pattern);
	vs_val_add_strf(ctx->out, "message", "log level of %s set to %s", pattern,
			level_arg);
	return 0;
}

static int
cmd_version(struct vs_cmd_ctx *ctx, int argc __rte_unused,
	    char **argv __rte_unused)
{
	if (ctx->dry_run)
		return 0;
	vs_val_add_str(ctx->out, "version", VS_VERSION);
	vs_val_add_str(ctx->out, "dpdk", rte_version());
	vs_val_add_dbl(ctx->out, "uptime_s", vs_ctl_uptime());
	return 0;
}

static int
cmd_shutdown(struct vs_cmd_ctx *ctx, int argc __rte_unused,
	     char **argv __rte_unused)
{
	if (ctx->dry_run)
		return 0;
	ctx->quit = true;
	vs_val_add_str(ctx->out, "message", "shutting down");
	return 0;
}

static void
help_row(const struct vs_cmd *cmd, void *arg)
{
	struct vs_val *row = vs_val_add_obj(arg, NULL);

	vs_val_add_strf(row, "command", "%s%s%s", cmd->name,
			cmd->usage[0] ? " " : "", cmd->usage);
	vs_val_add_str(row, "description", cmd->help);
}

static int
cmd_help(struct vs_cmd_ctx *ctx, int argc __rte_unused, char **argv __rte_unused)
{
	if (ctx->dry_run)
		return 0;
	vs_cmd_foreach(help_row, vs_val_add_arr(ctx->out, "commands"));
	return 0;
}

static const struct vs_cmd commands[] = {
	{ "port add vhost", "NAME socket PATH [client] [queues N] [offload on|off]",
	  "Add a vhost-user port (server, or a reconnecting client); N queue pairs; "
	  "checksum/TSO unless offload off.", 3, 8,
	  cmd_port_add_vhost },
	{ "port add eth", "NAME dev DEVARGS [queues N] [offload on|off]",
	  "Add a DPDK ethdev port: PCI address or vdev (net_tap0,iface=...); "
	  "its checksum/TSO unless offload off.", 3, 7,
	  cmd_port_add_eth },
	{ "port del", "NAME", "Remove a port; its FDB entries and frames go with it.",
	  1, 1, cmd_port_del },
	{ "port list", "", "List the ports.", 0, 0, cmd_port_list },
	{ "port set", "NAME rxq Q lcore L|auto | NAME mtu N",
	  "Pin a queue pair to a worker lcore (moving it now) or unpin it; set an eth port's MTU.",
	  3, 5, cmd_port_set },
	{ "rebalance", "[cycles|roundrobin]",
	  "Spread the queues over the workers, by measured load by default.", 0, 1,
	  cmd_rebalance },
	{ "rebalance auto", "on|off|show [threshold PCT] [interval SECONDS]",
	  "Rebalance by itself when a worker stays busier than PCT.", 1, 5,
	  cmd_rebalance_auto },
	{ "port show", "NAME", "Show one port in detail.", 1, 1, cmd_port_show },
	{ "stats", "[NAME]", "Show traffic counters, of all ports or of one.", 0, 1,
	  cmd_stats },
	{ "stats clear", "", "Make every counter read zero from now on.", 0, 0,
	  cmd_stats_clear },
	{ "fdb show", "", "Show the FDB.", 0, 0, cmd_fdb_show },
	{ "fdb flush", "[NAME]", "Forget learned entries, of all ports or of one.", 0,
	  1, cmd_fdb_flush },
	{ "fdb add", "NAME MAC", "Add a static entry: MAC lives behind port NAME.",
	  2, 2, cmd_fdb_add },
	{ "fdb del", "MAC", "Remove an entry, learned or static.", 1, 1, cmd_fdb_del },
	{ "bridge aging", "SECONDS", "Set the FDB ageing time.", 1, 1,
	  cmd_bridge_aging },
	{ "xconnect", "NAME NAME", "Cross-connect two ports, outside the bridge.", 2,
	  2, cmd_xconnect },
	{ "xconnect del", "NAME", "Put a cross-connected pair back on the bridge.", 1,
	  1, cmd_xconnect_del },
	{ "lcore show", "", "Show each worker: cycles, packets, queues polled.", 0, 0,
	  cmd_lcore_show },
	{ "log level", "[COMPONENT] LEVEL",
	  "Set a log level (components: all config data vhost eal).", 1, 2,
	  cmd_log_level },
	{ "version", "", "Show the versions and the uptime.", 0, 0, cmd_version },
	{ "shutdown", "", "Stop the switch.", 0, 0, cmd_shutdown },
	{ "help", "", "List the commands.", 0, 0, cmd_help },
};

void
vs_cmds_register(void)
{
	for (size_t i = 0; i < RTE_DIM(commands); i++)
		vs_cmd_register(&commands[i]);
}
