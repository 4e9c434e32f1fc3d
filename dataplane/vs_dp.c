/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The vhostswitch authors
 */

/* The control side of the dataplane: configuration, workers, counters. */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>

#include "vs_dp_internal.h"

#define VS_MBUF_CACHE 256

struct vs_dp vs_dp;

/* Ports in the configuration, in attach order. Control thread only. */
static struct vs_port *attached[VS_MAX_PORTS];
static uint16_t n_attached;

/* Cross-connect peers by port index. Control thread only. */
static struct vs_port *xc_peer[VS_MAX_PORTS];

/* Counter values that read as zero (cleared by snapshot). Control only. */
static struct vs_port_counters baseline[VS_MAX_PORTS];

static void
errset(char *err, size_t errlen, const char *fmt, const char *detail)
{
	if (err != NULL && errlen > 0)
		snprintf(err, errlen, fmt, detail);
}

/*
 * Builds a configuration from the attached ports. Every rx queue goes to
 * exactly one worker, round-robin in attach order.
 */
static struct vs_dp_conf *
conf_build(void)
{
	unsigned int nw = vs_dp.n_workers;
	unsigned int total_rxq = 0, next = 0;
	struct vs_dp_conf *conf;
	struct vs_rxq *rxqs;
	size_t size;

	for (uint16_t i = 0; i < n_attached; i++)
		total_rxq += attached[i]->nb_queues;
	size = sizeof(*conf) + nw * sizeof(conf->workers[0]);
	/* Each worker's rxq array is sized for the worst case: all queues. */
	conf = calloc(1, size + (size_t)nw * (total_rxq + 1) * sizeof(*rxqs));
	if (conf == NULL)
		return NULL;
	rxqs = (struct vs_rxq *)((char *)conf + size);
	for (unsigned int w = 0; w < nw; w++)
		conf->workers[w].rxqs = rxqs + (size_t)w * (total_rxq + 1);

	for (uint16_t i = 0; i < n_attached; i++) {
		struct vs_port *port = attached[i];

		/* Cross-connected ports are outside the bridge: no floods. */
		if (xc_peer[port->index] != NULL) {
			conf->xconnect[port->index] = xc_peer[port->index];
		} else {
			conf->ports[conf->n_ports++] = port;
			conf->by_index[port->index] = port;
		}
		for (uint16_t q = 0; q < port->nb_queues; q++) {
			struct vs_worker_conf *wc = &conf->workers[next++ % nw];

			wc->rxqs[wc->n_rxq].port = port;
			wc->rxqs[wc->n_rxq].qid = q;
			wc->n_rxq++;
		}
	}
	return conf;
}

/* Publishes conf and frees the one it replaces once no worker can see it. */
static void
conf_publish(struct vs_dp_conf *conf)
{
	struct vs_dp_conf *old =
		__atomic_exchange_n(&vs_dp.conf, conf, __ATOMIC_ACQ_REL);

	vs_dp_quiesce();
	free(old);
}

void
vs_dp_quiesce(void)
{
	if (vs_dp.qsbr != NULL)
		rte_rcu_qsbr_synchronize(vs_dp.qsbr, RTE_QSBR_THRID_INVALID);
}

int
vs_dp_init(const struct vs_dp_params *params, char *err, size_t errlen)
{
	unsigned int lcore;
	size_t qsz;

	memset(&vs_dp, 0, sizeof(vs_dp));
	RTE_LCORE_FOREACH_WORKER(lcore)
		vs_dp.n_workers++;
	if (vs_dp.n_workers == 0) {
		errset(err, errlen, "%s",
		       "no worker lcore: give EAL at least two lcores (-l MAIN,WORKER)");
		return -EINVAL;
	}
	if (vs_dp.n_workers > 1) {
		/*
		 * With several workers, two of them could transmit into one
		 * guest's ring; that needs the per-port hand-off rings of the
		 * multi-core dataplane, which this build does not have yet.
		 */
		errset(err, errlen, "%s",
		       "more than one worker lcore is not supported yet: give EAL exactly two lcores");
		return -ENOTSUP;
	}

	vs_dp.pool = rte_pktmbuf_pool_create("vs_mbufs", params->n_mbufs,
					     VS_MBUF_CACHE, 0,
					     RTE_MBUF_DEFAULT_BUF_SIZE,
					     (int)rte_socket_id());
	if (vs_dp.pool == NULL) {
		errset(err, errlen, "cannot create the mbuf pool: %s",
		       rte_strerror(rte_errno));
		return -ENOMEM;
	}
	vs_dp.fdb = vs_fdb_create(params->fdb_entries);
	if (vs_dp.fdb == NULL) {
		errset(err, errlen, "cannot create the FDB: %s", strerror(errno));
		vs_dp_fini();
		return -ENOMEM;
	}
	vs_dp.fdb->aging = params->aging;

	qsz = rte_rcu_qsbr_get_memsize(vs_dp.n_workers);
	vs_dp.qsbr = rte_zmalloc("vs_qsbr", qsz, RTE_CACHE_LINE_SIZE);
	if (vs_dp.qsbr == NULL ||
	    rte_rcu_qsbr_init(vs_dp.qsbr, vs_dp.n_workers) != 0) {
		errset(err, errlen, "%s", "cannot set up RCU state");
		vs_dp_fini();
		return -ENOMEM;
	}

	RTE_LCORE_FOREACH_WORKER(lcore) {
		unsigned int id = 0;
		struct vs_worker *w;

		while (vs_dp.workers[id] != NULL)
			id++;
		w = rte_zmalloc_socket("vs_worker", sizeof(*w), RTE_CACHE_LINE_SIZE,
				       (int)rte_lcore_to_socket_id(lcore));
		if (w == NULL) {
			errset(err, errlen, "%s", "cannot allocate worker state");
			vs_dp_fini();
			return -ENOMEM;
		}
		w->lcore_id = lcore;
		w->id = id;
		w->qsbr = vs_dp.qsbr;
		w->fdb = vs_dp.fdb;
		vs_dp.workers[id] = w;
	}

	vs_dp.conf = conf_build();
	if (vs_dp.conf == NULL) {
		errset(err, errlen, "%s", "out of memory");
		vs_dp_fini();
		return -ENOMEM;
	}
	return 0;
}

int
vs_dp_start(void)
{
	__atomic_store_n(&vs_dp.stop, false, __ATOMIC_RELEASE);
	for (unsigned int i = 0; i < vs_dp.n_workers; i++) {
		struct vs_worker *w = vs_dp.workers[i];
		int ret = rte_eal_remote_launch(vs_worker_main, w, w->lcore_id);

		if (ret != 0) {
			vs_dp_stop();
			return ret;
		}
	}
	vs_dp.running = true;
	return 0;
}

void
vs_dp_stop(void)
{
	__atomic_store_n(&vs_dp.stop, true, __ATOMIC_RELEASE);
	rte_eal_mp_wait_lcore();
	vs_dp.running = false;
}

void
vs_dp_fini(void)
{
	for (unsigned int i = 0; i < RTE_MAX_LCORE; i++) {
		rte_free(vs_dp.workers[i]);
		vs_dp.workers[i] = NULL;
	}
	free(vs_dp.conf);
	vs_dp.conf = NULL;
	rte_free(vs_dp.qsbr);
	vs_dp.qsbr = NULL;
	vs_fdb_free(vs_dp.fdb);
	vs_dp.fdb = NULL;
	rte_mempool_free(vs_dp.pool);
	vs_dp.pool = NULL;
}

struct rte_mempool *
vs_dp_mempool(void)
{
	return vs_dp.pool;
}

struct vs_fdb *
vs_dp_fdb(void)
{
	return vs_dp.fdb;
}

/* Sums every copy of a port's counters, without the baseline. */
static void
counters_raw(const struct vs_port *port, struct vs_port_counters *out)
{
	memset(out, 0, sizeof(*out));
	for (unsigned int w = 0; w < vs_dp.n_workers; w++) {
		const struct vs_port_counters *c = &vs_dp.workers[w]->ctrs[port->index];

		out->rx_packets += __atomic_load_n(&c->rx_packets, __ATOMIC_RELAXED);
		out->rx_bytes += __atomic_load_n(&c->rx_bytes, __ATOMIC_RELAXED);
		out->tx_packets += __atomic_load_n(&c->tx_packets, __ATOMIC_RELAXED);
		out->tx_bytes += __atomic_load_n(&c->tx_bytes, __ATOMIC_RELAXED);
		for (int d = 0; d < VS_DROP_MAX; d++)
			out->drops[d] += __atomic_load_n(&c->drops[d],
							 __ATOMIC_RELAXED);
	}
	if (port->ops->read_counters != NULL)
		port->ops->read_counters(port, out);
}

void
vs_dp_port_counters(const struct vs_port *port, struct vs_port_counters *out)
{
	const struct vs_port_counters *b = &baseline[port->index];

	counters_raw(port, out);
	out->rx_packets -= b->rx_packets;
	out->rx_bytes -= b->rx_bytes;
	out->tx_packets -= b->tx_packets;
	out->tx_bytes -= b->tx_bytes;
	for (int d = 0; d < VS_DROP_MAX; d++)
		out->drops[d] -= b->drops[d];
}

void
vs_dp_counters_clear(void)
{
	for (uint16_t i = 0; i < n_attached; i++)
		counters_raw(attached[i], &baseline[attached[i]->index]);
}

int
vs_dp_port_attach(struct vs_port *port)
{
	struct vs_dp_conf *conf;

	if (n_attached >= VS_MAX_PORTS)
		return -ENOSPC;
	for (uint16_t i = 0; i < n_attached; i++)
		if (attached[i] == port)
			return -EEXIST;
	/* A reused index starts from zero: snapshot what its slot holds. */
	counters_raw(port, &baseline[port->index]);
	attached[n_attached++] = port;
	conf = conf_build();
	if (conf == NULL) {
		n_attached--;
		return -ENOMEM;
	}
	conf_publish(conf);
	return 0;
}

int
vs_dp_port_detach(struct vs_port *port)
{
	struct vs_dp_conf *conf;
	uint16_t i;

	for (i = 0; i < n_attached; i++)
		if (attached[i] == port)
			break;
	if (i == n_attached)
		return -ENOENT;
	memmove(&attached[i], &attached[i + 1],
		(size_t)(n_attached - i - 1) * sizeof(attached[0]));
	n_attached--;
	if (xc_peer[port->index] != NULL) {
		xc_peer[xc_peer[port->index]->index] = NULL;
		xc_peer[port->index] = NULL;
	}
	conf = conf_build();
	if (conf == NULL) {
		/* Keep forwarding with the old configuration rather than fail. */
		attached[n_attached++] = port;
		return -ENOMEM;
	}
	conf_publish(conf);
	/* No worker can learn on this port any more: forget its stations. */
	vs_fdb_flush(vs_dp.fdb, port->index, true);
	return 0;
}

static bool
is_attached(const struct vs_port *port)
{
	for (uint16_t i = 0; i < n_attached; i++)
		if (attached[i] == port)
			return true;
	return false;
}

/* Publishes the configuration after a cross-connect change. */
static int
xconnect_publish(void)
{
	struct vs_dp_conf *conf = conf_build();

	if (conf == NULL)
		return -ENOMEM;
	conf_publish(conf);
	return 0;
}

int
vs_dp_xconnect(struct vs_port *a, struct vs_port *b)
{
	int ret;

	if (!is_attached(a) || !is_attached(b))
		return -ENOENT;
	if (a == b)
		return -EINVAL;
	if (xc_peer[a->index] != NULL || xc_peer[b->index] != NULL)
		return -EBUSY;
	xc_peer[a->index] = b;
	xc_peer[b->index] = a;
	ret = xconnect_publish();
	if (ret < 0) {
		xc_peer[a->index] = xc_peer[b->index] = NULL;
		return ret;
	}
	/* Neither port bridges any more: forget what was learned on them. */
	vs_fdb_flush(vs_dp.fdb, a->index, false);
	vs_fdb_flush(vs_dp.fdb, b->index, false);
	return 0;
}

int
vs_dp_xconnect_del(struct vs_port *a)
{
	struct vs_port *b = xc_peer[a->index];
	int ret;

	if (b == NULL)
		return -ENOENT;
	xc_peer[a->index] = xc_peer[b->index] = NULL;
	ret = xconnect_publish();
	if (ret < 0) {
		xc_peer[a->index] = b;
		xc_peer[b->index] = a;
	}
	return ret;
}

struct vs_port *
vs_dp_xconnect_peer(const struct vs_port *p)
{
	return xc_peer[p->index];
}

void
vs_dp_set_aging(uint32_t seconds)
{
	vs_dp.fdb->aging = seconds;
}

void
vs_dp_tick(uint32_t now)
{
	vs_fdb_set_time(vs_dp.fdb, now);
	vs_fdb_age(vs_dp.fdb);
}

unsigned int
vs_dp_worker_count(void)
{
	return vs_dp.n_workers;
}

int
vs_dp_worker_info(unsigned int idx, struct vs_worker_info *info)
{
	const struct vs_worker *w;
	const struct vs_dp_conf *conf;

	if (idx >= vs_dp.n_workers)
		return -ENOENT;
	w = vs_dp.workers[idx];
	conf = __atomic_load_n(&vs_dp.conf, __ATOMIC_ACQUIRE);
	info->lcore_id = w->lcore_id;
	info->n_rxq = conf->workers[idx].n_rxq;
	for (unsigned int q = 0; q < info->n_rxq && q < VS_WORKER_INFO_RXQS; q++) {
		info->rxqs[q].port = conf->workers[idx].rxqs[q].port->index;
		info->rxqs[q].qid = conf->workers[idx].rxqs[q].qid;
	}
	info->stats.busy_cycles = __atomic_load_n(&w->stats.busy_cycles, __ATOMIC_RELAXED);
	info->stats.idle_cycles = __atomic_load_n(&w->stats.idle_cycles, __ATOMIC_RELAXED);
	info->stats.iterations = __atomic_load_n(&w->stats.iterations, __ATOMIC_RELAXED);
	info->stats.packets = __atomic_load_n(&w->stats.packets, __ATOMIC_RELAXED);
	return 0;
}
