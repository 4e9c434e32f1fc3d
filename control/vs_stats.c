/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The vhostswitch authors
 */

/* Human-readable counters: the periodic print and the one at exit. */

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <rte_cycles.h>
#include <rte_mempool.h>

#include "vs_ctl.h"
#include "vs_dp.h"

static pthread_mutex_t ctl_lock = PTHREAD_MUTEX_INITIALIZER;

void
vs_ctl_lock(void)
{
	pthread_mutex_lock(&ctl_lock);
}

void
vs_ctl_unlock(void)
{
	pthread_mutex_unlock(&ctl_lock);
}

static double
monotonic_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double start_time = -1;

double
vs_ctl_uptime(void)
{
	if (start_time < 0)
		start_time = monotonic_now();
	return monotonic_now() - start_time;
}

void
vs_mac_format(uint64_t mac, char *buf, size_t len)
{
	uint8_t b[6];

	vs_mac_to_bytes(mac, b);
	snprintf(buf, len, "%02x:%02x:%02x:%02x:%02x:%02x", b[0], b[1], b[2],
		 b[3], b[4], b[5]);
}

/* The previous print, for rates. Main thread only. */
static struct {
	double time;
	uint64_t rx[VS_MAX_PORTS];
	uint64_t tx[VS_MAX_PORTS];
} prev;

struct print_ctx {
	FILE *out;
	double dt;
	double now;
	uint64_t rx_total;
	uint64_t tx_total;
	uint64_t drops_total;
	bool final;
};

static uint64_t
drops_sum(const struct vs_port_counters *c)
{
	uint64_t sum = 0;

	for (int d = 0; d < VS_DROP_MAX; d++)
		sum += c->drops[d];
	return sum;
}

static void
print_port(struct vs_port *port, void *arg)
{
	struct print_ctx *ctx = arg;
	struct vs_port_counters c;
	uint64_t drops;
	double rx_rate, tx_rate;

	vs_dp_port_counters(port, &c);
	drops = drops_sum(&c);
	if (ctx->final) {
		rx_rate = ctx->now > 0 ? (double)c.rx_packets / ctx->now : 0;
		tx_rate = ctx->now > 0 ? (double)c.tx_packets / ctx->now : 0;
	} else {
		uint64_t drx = c.rx_packets >= prev.rx[port->index] ?
			c.rx_packets - prev.rx[port->index] : c.rx_packets;
		uint64_t dtx = c.tx_packets >= prev.tx[port->index] ?
			c.tx_packets - prev.tx[port->index] : c.tx_packets;

		rx_rate = ctx->dt > 0 ? (double)drx / ctx->dt : 0;
		tx_rate = ctx->dt > 0 ? (double)dtx / ctx->dt : 0;
		prev.rx[port->index] = c.rx_packets;
		prev.tx[port->index] = c.tx_packets;
	}
	fprintf(ctx->out,
		"  %-12s %-5s %14" PRIu64 " %9.3f %14" PRIu64 " %9.3f %16" PRIu64
		" %16" PRIu64 " %12" PRIu64 "\n",
		port->name, vs_port_state_name(port), c.rx_packets, rx_rate / 1e6,
		c.tx_packets, tx_rate / 1e6, c.rx_bytes, c.tx_bytes, drops);
	ctx->rx_total += c.rx_packets;
	ctx->tx_total += c.tx_packets;
	ctx->drops_total += drops;
}

static void
print_drops(struct vs_port *port, void *arg)
{
	struct print_ctx *ctx = arg;
	struct vs_port_counters c;

	vs_dp_port_counters(port, &c);
	if (drops_sum(&c) == 0)
		return;
	fprintf(ctx->out, "  %-12s", port->name);
	for (int d = 0; d < VS_DROP_MAX; d++)
		if (c.drops[d] != 0)
			fprintf(ctx->out, " %s=%" PRIu64, vs_drop_names[d], c.drops[d]);
	fprintf(ctx->out, "\n");
}

static void
print_tables(struct print_ctx *ctx)
{
	const struct vs_fdb *fdb = vs_dp_fdb();
	FILE *out = ctx->out;

	fprintf(out, "  %-12s %-5s %14s %9s %14s %9s %16s %16s %12s\n", "port",
		"state", "rx_packets", "rx_Mpps", "tx_packets", "tx_Mpps",
		"rx_bytes", "tx_bytes", "drops");
	vs_port_foreach(print_port, ctx);
	if (ctx->drops_total != 0) {
		fprintf(out, "  drops by reason:\n");
		vs_port_foreach(print_drops, ctx);
	}
	for (unsigned int i = 0; i < vs_dp_worker_count(); i++) {
		struct vs_worker_info wi;
		uint64_t total;

		if (vs_dp_worker_info(i, &wi) != 0)
			continue;
		total = wi.stats.busy_cycles + wi.stats.idle_cycles;
		fprintf(out,
			"  worker lcore %u: %u rx queues, %" PRIu64 " packets, busy %.1f%%, %.1f busy cycles/packet (%.1f work)\n",
			wi.lcore_id, wi.n_rxq, wi.stats.packets,
			100.0 * vs_ratio(wi.stats.busy_cycles, total),
			vs_ratio(wi.stats.busy_cycles, wi.stats.packets),
			vs_ratio(wi.stats.work_cycles, wi.stats.packets));
	}
	fprintf(out, "  fdb: %u entries (learned %" PRIu64 ", moved %" PRIu64
		", aged %" PRIu64 ", full %" PRIu64 ")\n",
		vs_fdb_count(fdb),
		__atomic_load_n(&fdb->stats.learned, __ATOMIC_RELAXED),
		__atomic_load_n(&fdb->stats.moved, __ATOMIC_RELAXED),
		__atomic_load_n(&fdb->stats.aged, __ATOMIC_RELAXED),
		__atomic_load_n(&fdb->stats.learn_full, __ATOMIC_RELAXED));
	fprintf(out, "  mbuf pool: %u of %u in use\n", vs_dp_mbufs_in_use(),
		vs_dp_mbufs_total());
}

void
vs_stats_print(FILE *out)
{
	struct print_ctx ctx = { .out = out };

	vs_ctl_lock();
	ctx.now = vs_ctl_uptime();
	ctx.dt = ctx.now - prev.time;
	prev.time = ctx.now;
	fprintf(out, "vhostswitch: stats at %.1f s (rates over the last %.1f s)\n",
		ctx.now, ctx.dt);
	print_tables(&ctx);
	vs_ctl_unlock();
	fflush(out);
}

void
vs_stats_print_final(FILE *out)
{
	struct print_ctx ctx = { .out = out, .final = true };

	vs_ctl_lock();
	ctx.now = vs_ctl_uptime();
	fprintf(out, "vhostswitch: final counters after %.1f s (rates are run averages)\n",
		ctx.now);
	print_tables(&ctx);
	fprintf(out, "  total: %" PRIu64 " packets received, %" PRIu64
		" transmitted, %" PRIu64 " dropped; average forwarding rate %.3f Mpps\n",
		ctx.rx_total, ctx.tx_total, ctx.drops_total,
		ctx.now > 0 ? (double)ctx.tx_total / ctx.now / 1e6 : 0.0);
	vs_ctl_unlock();
	fflush(out);
}
