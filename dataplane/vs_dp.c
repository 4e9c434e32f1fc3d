/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The vhostswitch authors
 */

/*
 * The control side of the dataplane: workers, pools, which worker polls
 * which queue, the hand-over of queues between workers, counters.
 *
 * Moving a queue (DESIGN.md invariant 5) takes two configurations, each
 * followed by a quiescent period:
 *   1. the queue has no owner: nobody polls it, nobody transmits on it,
 *      and every worker hands frames for it to its ring;
 *   2. the new owner polls it, drains the ring first, and transmits.
 * So exactly one worker (or none) touches the queue at any time, and the
 * ring keeps the frames that were on their way in order.
 */

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>

#include "vs_dp_internal.h"
#include "vs_sched.h"

#define VS_MBUF_CACHE 256
#define VS_REBALANCE_MIN_GAIN 0.10 /* auto: imbalance must drop by 10% */

struct vs_dp vs_dp;

/* Ports in the configuration, in attach order. Control thread only. */
static struct vs_port *attached[VS_MAX_PORTS];
static uint16_t n_attached;

/* Cross-connect peers by port index. Control thread only. */
static struct vs_port *xc_peer[VS_MAX_PORTS];

/* Worker polling (port, queue), or VS_NO_WORKER. Control thread only. */
static int8_t assign_cur[VS_MAX_PORTS][VS_PORT_QUEUES_MAX];
/* Worker a queue is pinned to, or VS_NO_WORKER. Control thread only. */
static int8_t pins[VS_MAX_PORTS][VS_PORT_QUEUES_MAX];
/* Queue cycles at the previous rebalance: the start of the load window. */
static uint64_t cycles_prev[VS_MAX_PORTS][VS_PORT_QUEUES_MAX];
/* The NUMA node each port's queues were placed for. */
static int placed_node[VS_MAX_PORTS];

/*
 * Frames the control thread itself had to drop: those left in a port's
 * rings when the port left or the workers stopped. Control thread: rw.
 */
static uint64_t ctl_drops[VS_MAX_PORTS][VS_DROP_MAX];

/* Counter values that read as zero (cleared by snapshot). Control only. */
static struct vs_port_counters baseline[VS_MAX_PORTS];
static struct vs_queue_counters qbaseline[VS_MAX_PORTS][VS_PORT_QUEUES_MAX];

static struct {
	bool on;
	unsigned int threshold_pct;
	unsigned int interval;
	uint32_t last;
	uint64_t runs;
	uint64_t busy_prev[RTE_MAX_LCORE];
	uint64_t total_prev[RTE_MAX_LCORE];
} autobal = { .threshold_pct = 95, .interval = 60 };

static void
errset(char *err, size_t errlen, const char *fmt, const char *detail)
{
	if (err != NULL && errlen > 0)
		snprintf(err, errlen, fmt, detail);
}

/* Fills conf from the attached ports and the assignment. */
static void
conf_build(struct vs_dp_conf *conf)
{
	uint16_t count[RTE_MAX_LCORE] = { 0 };
	uint16_t next = 0;

	memset(conf, 0, offsetof(struct vs_dp_conf, rxqs));
	conf->rings = vs_dp.n_workers > 1;
	memset(conf->owner, VS_NO_WORKER, sizeof(conf->owner));
	for (uint16_t i = 0; i < n_attached; i++)
		for (uint16_t q = 0; q < attached[i]->nb_queues; q++)
			if (assign_cur[attached[i]->index][q] != VS_NO_WORKER)
				count[assign_cur[attached[i]->index][q]]++;
	for (unsigned int w = 0; w < vs_dp.n_workers; w++) {
		conf->workers[w].first = next;
		next += count[w];
	}

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
			int w = assign_cur[port->index][q];
			struct vs_worker_conf *wc;
			struct vs_rxq *rxq;

			conf->owner[port->index][q] = (int8_t)w;
			if (w == VS_NO_WORKER)
				continue;
			wc = &conf->workers[w];
			rxq = &conf->rxqs[wc->first + wc->n_rxq++];
			rxq->port = port;
			rxq->qid = q;
		}
	}
}

/*
 * Builds the next configuration in the buffer not in use, publishes it,
 * and waits until no worker can still see the previous one.
 */
static void
republish(void)
{
	struct vs_dp_conf *next =
		vs_dp.conf == vs_dp.confs[0] ? vs_dp.confs[1] : vs_dp.confs[0];

	conf_build(next);
	__atomic_store_n(&vs_dp.conf, next, __ATOMIC_RELEASE);
	vs_dp_quiesce();
}

void
vs_dp_quiesce(void)
{
	if (vs_dp.qsbr != NULL)
		rte_rcu_qsbr_synchronize(vs_dp.qsbr, RTE_QSBR_THRID_INVALID);
}

static bool
is_attached(const struct vs_port *port)
{
	for (uint16_t i = 0; i < n_attached; i++)
		if (attached[i] == port)
			return true;
	return false;
}

/*
 * Applies a new queue assignment: queues that change worker first lose
 * their owner for one quiescent period (see the top of this file).
 * Returns the number of queues moved.
 */
static int
assignment_apply(int8_t next[VS_MAX_PORTS][VS_PORT_QUEUES_MAX])
{
	int moved = 0;

	for (uint16_t i = 0; i < n_attached; i++) {
		uint16_t p = attached[i]->index;

		for (uint16_t q = 0; q < attached[i]->nb_queues; q++) {
			if (assign_cur[p][q] != next[p][q] &&
			    assign_cur[p][q] != VS_NO_WORKER) {
				assign_cur[p][q] = VS_NO_WORKER;
				moved++;
			}
		}
	}
	if (moved > 0)
		republish();
	for (uint16_t i = 0; i < n_attached; i++) {
		uint16_t p = attached[i]->index;

		for (uint16_t q = 0; q < attached[i]->nb_queues; q++)
			assign_cur[p][q] = next[p][q];
	}
	republish();
	return moved;
}

static void
workers_of_node(struct vs_sched_worker *sw)
{
	for (unsigned int w = 0; w < vs_dp.n_workers; w++)
		sw[w].node = (int)rte_lcore_to_socket_id(vs_dp.workers[w]->lcore_id);
}

/* Places the queues of one port (pins first, then the least busy workers). */
static void
place_port(const struct vs_port *port, int8_t next[VS_MAX_PORTS][VS_PORT_QUEUES_MAX])
{
	struct vs_sched_worker sw[RTE_MAX_LCORE];
	unsigned int count[RTE_MAX_LCORE] = { 0 };
	int node = __atomic_load_n(&port->numa_node, __ATOMIC_RELAXED);
	bool on_node = false;

	workers_of_node(sw);
	for (unsigned int w = 0; w < vs_dp.n_workers; w++)
		on_node |= node >= 0 && sw[w].node == node;
	for (uint16_t i = 0; i < n_attached; i++) {
		for (uint16_t q = 0; q < attached[i]->nb_queues; q++) {
			int w = next[attached[i]->index][q];

			if (w != VS_NO_WORKER && attached[i] != port)
				count[w]++;
		}
	}
	/* Round-robin in effect: each queue to the worker with fewest queues. */
	for (uint16_t q = 0; q < port->nb_queues; q++) {
		int best = -1;

		if (pins[port->index][q] != VS_NO_WORKER) {
			best = pins[port->index][q];
		} else {
			for (unsigned int w = 0; w < vs_dp.n_workers; w++) {
				if (on_node && sw[w].node != node)
					continue;
				if (best < 0 || count[w] < count[best])
					best = (int)w;
			}
		}
		next[port->index][q] = (int8_t)best;
		count[best]++;
	}
}

static int
create_pools(const struct vs_dp_params *params, char *err, size_t errlen)
{
	bool need[RTE_MAX_NUMA_NODES] = { false };
	unsigned int lcore;

	/* A pool on every node that has an lcore: guests there use it. */
	RTE_LCORE_FOREACH(lcore) {
		unsigned int node = rte_lcore_to_socket_id(lcore);

		if (node < RTE_MAX_NUMA_NODES)
			need[node] = true;
	}
	for (unsigned int node = 0; node < RTE_MAX_NUMA_NODES; node++) {
		char name[RTE_MEMPOOL_NAMESIZE];

		if (!need[node])
			continue;
		snprintf(name, sizeof(name), "vs_mbufs_%u", node);
		vs_dp.pools[node] = rte_pktmbuf_pool_create(name, params->n_mbufs,
							    VS_MBUF_CACHE, 0,
							    RTE_MBUF_DEFAULT_BUF_SIZE,
							    (int)node);
		if (vs_dp.pools[node] == NULL) {
			errset(err, errlen, "cannot create the mbuf pool: %s",
			       rte_strerror(rte_errno));
			return -ENOMEM;
		}
	}
	return 0;
}

int
vs_dp_init(const struct vs_dp_params *params, char *err, size_t errlen)
{
	unsigned int lcore;
	size_t qsz;

	memset(&vs_dp, 0, sizeof(vs_dp));
	memset(assign_cur, VS_NO_WORKER, sizeof(assign_cur));
	memset(pins, VS_NO_WORKER, sizeof(pins));
	RTE_LCORE_FOREACH_WORKER(lcore)
		vs_dp.n_workers++;
	if (vs_dp.n_workers == 0) {
		errset(err, errlen, "%s",
		       "no worker lcore: give EAL at least two lcores (-l MAIN,WORKER...)");
		return -EINVAL;
	}
	if (vs_dp.n_workers > INT8_MAX) {
		errset(err, errlen, "%s", "at most 127 worker lcores");
		return -EINVAL;
	}
	if (create_pools(params, err, errlen) < 0) {
		vs_dp_fini();
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

	for (int i = 0; i < 2; i++) {
		vs_dp.confs[i] = rte_zmalloc("vs_conf", sizeof(struct vs_dp_conf),
					     RTE_CACHE_LINE_SIZE);
		if (vs_dp.confs[i] == NULL) {
			errset(err, errlen, "%s", "out of memory");
			vs_dp_fini();
			return -ENOMEM;
		}
	}
	conf_build(vs_dp.confs[0]);
	vs_dp.conf = vs_dp.confs[0];
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

/*
 * Frees, and counts as not_ready, what a port's rings still hold. Only
 * when no worker can reach them (stopped, or the port detached).
 */
static void
rings_drain(uint16_t index)
{
	for (uint16_t q = 0; q < VS_PORT_QUEUES_MAX; q++) {
		struct rte_ring *r = vs_dp.rings[index][q];
		void *m;

		while (r != NULL && rte_ring_sc_dequeue(r, &m) == 0) {
			rte_pktmbuf_free(m);
			ctl_drops[index][VS_DROP_NOT_READY]++;
		}
	}
}

static void
rings_free(uint16_t index)
{
	rings_drain(index);
	for (uint16_t q = 0; q < VS_PORT_QUEUES_MAX; q++) {
		rte_ring_free(vs_dp.rings[index][q]);
		vs_dp.rings[index][q] = NULL;
	}
}

void
vs_dp_stop(void)
{
	__atomic_store_n(&vs_dp.stop, true, __ATOMIC_RELEASE);
	rte_eal_mp_wait_lcore();
	vs_dp.running = false;
	/* Frames handed over but never drained go back to the pool. */
	for (uint16_t i = 0; i < n_attached; i++)
		rings_drain(attached[i]->index);
}

void
vs_dp_fini(void)
{
	for (unsigned int i = 0; i < RTE_MAX_LCORE; i++) {
		rte_free(vs_dp.workers[i]);
		vs_dp.workers[i] = NULL;
	}
	for (uint16_t p = 0; p < VS_MAX_PORTS; p++)
		rings_free(p);
	vs_dp.conf = NULL;
	for (int i = 0; i < 2; i++) {
		rte_free(vs_dp.confs[i]);
		vs_dp.confs[i] = NULL;
	}
	vs_dp.n_workers = 0;
	rte_free(vs_dp.qsbr);
	vs_dp.qsbr = NULL;
	vs_fdb_free(vs_dp.fdb);
	vs_dp.fdb = NULL;
	for (unsigned int n = 0; n < RTE_MAX_NUMA_NODES; n++) {
		rte_mempool_free(vs_dp.pools[n]);
		vs_dp.pools[n] = NULL;
	}
}

struct rte_mempool *
vs_dp_pool_for_node(int node, bool *fallback)
{
	bool has[RTE_MAX_NUMA_NODES];
	int pick;

	for (unsigned int n = 0; n < RTE_MAX_NUMA_NODES; n++)
		has[n] = vs_dp.pools[n] != NULL;
	*fallback = false;
	pick = vs_sched_pool_node(node, has, RTE_MAX_NUMA_NODES, fallback);
	/* An unknown node is no fallback: any pool is as good as another. */
	if (node < 0)
		*fallback = false;
	return pick < 0 ? NULL : vs_dp.pools[pick];
}

unsigned int
vs_dp_mbufs_in_use(void)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < RTE_MAX_NUMA_NODES; i++)
		if (vs_dp.pools[i] != NULL)
			n += rte_mempool_in_use_count(vs_dp.pools[i]);
	return n;
}

unsigned int
vs_dp_mbufs_total(void)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < RTE_MAX_NUMA_NODES; i++)
		if (vs_dp.pools[i] != NULL)
			n += vs_dp.pools[i]->size;
	return n;
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
		out->tx_sw_csum += __atomic_load_n(&c->tx_sw_csum, __ATOMIC_RELAXED);
		out->tx_sw_gso += __atomic_load_n(&c->tx_sw_gso, __ATOMIC_RELAXED);
		for (int d = 0; d < VS_DROP_MAX; d++)
			out->drops[d] += __atomic_load_n(&c->drops[d],
							 __ATOMIC_RELAXED);
	}
	for (int d = 0; d < VS_DROP_MAX; d++)
		out->drops[d] += ctl_drops[port->index][d];
	if (port->ops->read_counters != NULL)
		port->ops->read_counters(port, out);
}

static void
queue_counters_raw(uint16_t p, uint16_t q, struct vs_queue_counters *out)
{
	memset(out, 0, sizeof(*out));
	for (unsigned int w = 0; w < vs_dp.n_workers; w++) {
		const struct vs_queue_counters *c = &vs_dp.workers[w]->qctrs[p][q];

		out->rx_packets += __atomic_load_n(&c->rx_packets, __ATOMIC_RELAXED);
		out->tx_packets += __atomic_load_n(&c->tx_packets, __ATOMIC_RELAXED);
		out->rx_cycles += __atomic_load_n(&c->rx_cycles, __ATOMIC_RELAXED);
	}
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
	out->tx_sw_csum -= b->tx_sw_csum;
	out->tx_sw_gso -= b->tx_sw_gso;
	for (int d = 0; d < VS_DROP_MAX; d++)
		out->drops[d] -= b->drops[d];
}

/* Makes one port's counters (and its queues') read zero from now on. */
static void
counters_zero(const struct vs_port *port)
{
	counters_raw(port, &baseline[port->index]);
	for (uint16_t q = 0; q < VS_PORT_QUEUES_MAX; q++)
		queue_counters_raw(port->index, q, &qbaseline[port->index][q]);
}

void
vs_dp_counters_clear(void)
{
	for (uint16_t i = 0; i < n_attached; i++)
		counters_zero(attached[i]);
}

int
vs_dp_port_attach(struct vs_port *port)
{
	int8_t next[VS_MAX_PORTS][VS_PORT_QUEUES_MAX];

	if (n_attached >= VS_MAX_PORTS)
		return -ENOSPC;
	if (is_attached(port))
		return -EEXIST;
	/* Rings only where a tx queue has one owner and several senders. */
	if (vs_dp.n_workers > 1 && !(port->flags & VS_PORT_F_TXQ_PER_WORKER)) {
		for (uint16_t q = 0; q < port->nb_queues; q++) {
			char name[RTE_RING_NAMESIZE];

			snprintf(name, sizeof(name), "vs_r%u_%u", port->index, q);
			vs_dp.rings[port->index][q] = rte_ring_create(name,
				VS_RING_SIZE, SOCKET_ID_ANY, RING_F_SC_DEQ);
			if (vs_dp.rings[port->index][q] == NULL) {
				rings_free(port->index);
				return -ENOMEM;
			}
		}
	}
	/* A reused index starts from zero: snapshot what its slot holds. */
	counters_zero(port);
	for (uint16_t q = 0; q < VS_PORT_QUEUES_MAX; q++) {
		pins[port->index][q] = VS_NO_WORKER;
		cycles_prev[port->index][q] = qbaseline[port->index][q].rx_cycles;
	}
	attached[n_attached++] = port;
	placed_node[port->index] = __atomic_load_n(&port->numa_node, __ATOMIC_RELAXED);
	/* New queues have no owner yet, so one configuration suffices. */
	memcpy(next, assign_cur, sizeof(next));
	place_port(port, next);
	memcpy(assign_cur[port->index], next[port->index], sizeof(next[0]));
	republish();
	return 0;
}

int
vs_dp_port_detach(struct vs_port *port)
{
	uint16_t i;

	for (i = 0; i < n_attached; i++)
		if (attached[i] == port)
			break;
	if (i == n_attached)
		return -ENOENT;
	memmove(&attached[i], &attached[i + 1],
		(size_t)(n_attached - i - 1) * sizeof(attached[0]));
	n_attached--;
	memset(assign_cur[port->index], VS_NO_WORKER, sizeof(assign_cur[0]));
	if (xc_peer[port->index] != NULL) {
		xc_peer[xc_peer[port->index]->index] = NULL;
		xc_peer[port->index] = NULL;
	}
	republish();
	/* No worker can reach the port now: free its rings' frames. */
	rings_free(port->index);
	/* No worker can learn on this port any more: forget its stations. */
	vs_fdb_flush(vs_dp.fdb, port->index, true);
	return 0;
}

int
vs_dp_xconnect(struct vs_port *a, struct vs_port *b)
{
	if (!is_attached(a) || !is_attached(b))
		return -ENOENT;
	if (a == b)
		return -EINVAL;
	if (xc_peer[a->index] != NULL || xc_peer[b->index] != NULL)
		return -EBUSY;
	xc_peer[a->index] = b;
	xc_peer[b->index] = a;
	republish();
	/* Neither port bridges any more: forget what was learned on them. */
	vs_fdb_flush(vs_dp.fdb, a->index, false);
	vs_fdb_flush(vs_dp.fdb, b->index, false);
	return 0;
}

int
vs_dp_xconnect_del(struct vs_port *a)
{
	struct vs_port *b = xc_peer[a->index];

	if (b == NULL)
		return -ENOENT;
	xc_peer[a->index] = xc_peer[b->index] = NULL;
	republish();
	return 0;
}

struct vs_port *
vs_dp_xconnect_peer(const struct vs_port *p)
{
	return xc_peer[p->index];
}

int
vs_dp_worker_of_lcore(unsigned int lcore)
{
	for (unsigned int w = 0; w < vs_dp.n_workers; w++)
		if (vs_dp.workers[w]->lcore_id == lcore)
			return (int)w;
	return -1;
}

int
vs_dp_pin(struct vs_port *port, uint16_t q, int lcore)
{
	int8_t next[VS_MAX_PORTS][VS_PORT_QUEUES_MAX];
	int w = -1;

	if (!is_attached(port))
		return -ENOENT;
	if (q >= port->nb_queues)
		return -EINVAL;
	if (lcore >= 0) {
		w = vs_dp_worker_of_lcore((unsigned int)lcore);
		if (w < 0)
			return -ENODEV;
	}
	pins[port->index][q] = (int8_t)w;
	if (w < 0 || assign_cur[port->index][q] == w)
		return 0;
	memcpy(next, assign_cur, sizeof(next));
	next[port->index][q] = (int8_t)w;
	assignment_apply(next);
	return 0;
}

/* Load of every attached queue since the previous rebalance. */
static unsigned int
collect_queues(struct vs_sched_queue *qs, uint64_t *now_cycles)
{
	unsigned int n = 0;

	for (uint16_t i = 0; i < n_attached; i++) {
		const struct vs_port *port = attached[i];

		for (uint16_t q = 0; q < port->nb_queues; q++) {
			struct vs_queue_counters c;

			queue_counters_raw(port->index, q, &c);
			now_cycles[n] = c.rx_cycles;
			qs[n].port = port->index;
			qs[n].qid = q;
			qs[n].node = __atomic_load_n(&port->numa_node, __ATOMIC_RELAXED);
			qs[n].load = c.rx_cycles - cycles_prev[port->index][q];
			qs[n].pin = pins[port->index][q];
			qs[n].cur = assign_cur[port->index][q];
			n++;
		}
	}
	return n;
}

/* The assignment the scheduler proposes, and its spread of load. */
static int
propose(enum vs_sched_policy policy, int8_t next[VS_MAX_PORTS][VS_PORT_QUEUES_MAX],
	double *imbalance_now, double *imbalance_next, uint64_t *now_cycles)
{
	static struct vs_sched_queue qs[VS_MAX_PORTS * VS_PORT_QUEUES_MAX];
	static int assign[VS_MAX_PORTS * VS_PORT_QUEUES_MAX];
	struct vs_sched_worker sw[RTE_MAX_LCORE];
	uint64_t load_now[RTE_MAX_LCORE] = { 0 }, load_next[RTE_MAX_LCORE] = { 0 };
	struct vs_sched_stats st;
	unsigned int n = collect_queues(qs, now_cycles);
	int ret;

	workers_of_node(sw);
	ret = vs_sched_assign(policy, sw, vs_dp.n_workers, qs, n, assign, &st);
	if (ret < 0)
		return ret;
	memcpy(next, assign_cur, sizeof(assign_cur));
	for (unsigned int i = 0; i < n; i++) {
		next[qs[i].port][qs[i].qid] = (int8_t)assign[i];
		if (qs[i].cur >= 0)
			load_now[qs[i].cur] += qs[i].load;
		load_next[assign[i]] += qs[i].load;
	}
	*imbalance_now = vs_sched_imbalance(load_now, vs_dp.n_workers);
	*imbalance_next = vs_sched_imbalance(load_next, vs_dp.n_workers);
	return (int)n;
}

/* Starts a new load window for every queue. */
static void
window_restart(const uint64_t *now_cycles)
{
	unsigned int n = 0;

	for (uint16_t i = 0; i < n_attached; i++)
		for (uint16_t q = 0; q < attached[i]->nb_queues; q++)
			cycles_prev[attached[i]->index][q] = now_cycles[n++];
}

int
vs_dp_rebalance(enum vs_rebalance_policy policy)
{
	static uint64_t now_cycles[VS_MAX_PORTS * VS_PORT_QUEUES_MAX];
	int8_t next[VS_MAX_PORTS][VS_PORT_QUEUES_MAX];
	double before, after;
	int ret;

	ret = propose(policy == VS_REBALANCE_CYCLES ? VS_SCHED_CYCLES :
		      VS_SCHED_ROUNDROBIN, next, &before, &after, now_cycles);
	if (ret < 0)
		return ret;
	ret = assignment_apply(next);
	window_restart(now_cycles);
	return ret;
}

void
vs_dp_set_auto_rebalance(bool on, unsigned int threshold_pct,
			 unsigned int interval)
{
	autobal.on = on;
	autobal.threshold_pct = threshold_pct;
	autobal.interval = interval;
}

void
vs_dp_get_auto_rebalance(bool *on, unsigned int *threshold_pct,
			 unsigned int *interval, uint64_t *runs)
{
	*on = autobal.on;
	*threshold_pct = autobal.threshold_pct;
	*interval = autobal.interval;
	*runs = autobal.runs;
}

/*
 * Every interval: if the busiest worker was busy above the threshold and
 * a rebalance would spread the load clearly better, do it.
 */
static void
auto_rebalance(uint32_t now)
{
	static uint64_t now_cycles[VS_MAX_PORTS * VS_PORT_QUEUES_MAX];
	int8_t next[VS_MAX_PORTS][VS_PORT_QUEUES_MAX];
	double busiest = 0, before, after;

	if (!autobal.on || vs_dp.n_workers < 2 || now - autobal.last < autobal.interval)
		return;
	autobal.last = now;
	for (unsigned int w = 0; w < vs_dp.n_workers; w++) {
		const struct vs_lcore_stats *s = &vs_dp.workers[w]->stats;
		uint64_t busy = __atomic_load_n(&s->busy_cycles, __ATOMIC_RELAXED);
		uint64_t total = busy + __atomic_load_n(&s->idle_cycles, __ATOMIC_RELAXED);
		uint64_t db = busy - autobal.busy_prev[w];
		uint64_t dt = total - autobal.total_prev[w];

		if (dt > 0 && 100.0 * (double)db / (double)dt > busiest)
			busiest = 100.0 * (double)db / (double)dt;
		autobal.busy_prev[w] = busy;
		autobal.total_prev[w] = total;
	}
	if (busiest < autobal.threshold_pct)
		return;
	if (propose(VS_SCHED_CYCLES, next, &before, &after, now_cycles) < 0)
		return;
	if (after < before * (1.0 - VS_REBALANCE_MIN_GAIN)) {
		assignment_apply(next);
		window_restart(now_cycles);
		autobal.runs++;
	}
}

/*
 * A guest's memory node is known only once it attaches: queues of a port
 * whose node changed go to workers on that node, when there are any.
 */
static void
numa_follow(void)
{
	int8_t next[VS_MAX_PORTS][VS_PORT_QUEUES_MAX];
	bool changed = false;

	struct vs_sched_worker sw[RTE_MAX_LCORE];

	workers_of_node(sw);
	memcpy(next, assign_cur, sizeof(next));
	for (uint16_t i = 0; i < n_attached; i++) {
		struct vs_port *port = attached[i];
		int node = __atomic_load_n(&port->numa_node, __ATOMIC_RELAXED);
		bool off_node = false, node_has_worker = false;

		if (node == placed_node[port->index])
			continue;
		placed_node[port->index] = node;
		for (unsigned int w = 0; w < vs_dp.n_workers; w++)
			node_has_worker |= sw[w].node == node;
		for (uint16_t q = 0; q < port->nb_queues; q++) {
			int w = assign_cur[port->index][q];

			off_node |= w != VS_NO_WORKER && sw[w].node != node &&
				    pins[port->index][q] == VS_NO_WORKER;
		}
		/* Move only what sits on the wrong node and could do better. */
		if (!off_node || !node_has_worker)
			continue;
		place_port(port, next);
		changed = true;
	}
	if (changed)
		assignment_apply(next);
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
	if (vs_dp.n_workers > 1) {
		numa_follow();
		auto_rebalance(now);
	}
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

	if (idx >= vs_dp.n_workers || vs_dp.conf == NULL)
		return -ENOENT;
	w = vs_dp.workers[idx];
	conf = __atomic_load_n(&vs_dp.conf, __ATOMIC_ACQUIRE);
	info->lcore_id = w->lcore_id;
	info->numa_node = (int)rte_lcore_to_socket_id(w->lcore_id);
	info->n_rxq = conf->workers[idx].n_rxq;
	for (unsigned int q = 0; q < info->n_rxq && q < VS_WORKER_INFO_RXQS; q++) {
		const struct vs_rxq *rxq = &conf->rxqs[conf->workers[idx].first + q];

		info->rxqs[q].port = rxq->port->index;
		info->rxqs[q].qid = rxq->qid;
	}
	info->stats.busy_cycles = __atomic_load_n(&w->stats.busy_cycles, __ATOMIC_RELAXED);
	info->stats.idle_cycles = __atomic_load_n(&w->stats.idle_cycles, __ATOMIC_RELAXED);
	info->stats.work_cycles = __atomic_load_n(&w->stats.work_cycles, __ATOMIC_RELAXED);
	info->stats.iterations = __atomic_load_n(&w->stats.iterations, __ATOMIC_RELAXED);
	info->stats.packets = __atomic_load_n(&w->stats.packets, __ATOMIC_RELAXED);
	info->ring_drops = 0;
	for (uint16_t p = 0; p < VS_MAX_PORTS; p++)
		info->ring_drops += __atomic_load_n(&w->ctrs[p].drops[VS_DROP_RING_FULL],
						    __ATOMIC_RELAXED);
	return 0;
}

int
vs_dp_queue_info(const struct vs_port *port, uint16_t q, struct vs_queue_info *info)
{
	struct vs_queue_counters c;
	int w;

	if (!is_attached(port) || q >= port->nb_queues)
		return -ENOENT;
	w = assign_cur[port->index][q];
	queue_counters_raw(port->index, q, &c);
	info->lcore = w == VS_NO_WORKER ? -1 : (int)vs_dp.workers[w]->lcore_id;
	info->pinned = pins[port->index][q] != VS_NO_WORKER;
	info->rx_enabled = vs_port_rxq_enabled(port, q);
	info->rx_packets = c.rx_packets - qbaseline[port->index][q].rx_packets;
	info->tx_packets = c.tx_packets - qbaseline[port->index][q].tx_packets;
	info->rx_cycles = c.rx_cycles - qbaseline[port->index][q].rx_cycles;
	return 0;
}
