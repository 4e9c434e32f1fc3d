/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The vhostswitch authors
 */

/* Dataplane internals shared by the control side (vs_dp.c) and workers. */
#ifndef VS_DP_INTERNAL_H
#define VS_DP_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_common.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>

#include "vs_dp.h"

#define VS_RING_SIZE 1024    /* hand-off ring per (port, queue) */
#define VS_RING_DRAIN_MAX 2  /* bursts taken from a ring per visit */
#define VS_NO_WORKER (-1)

/* One rx queue a worker polls; it also owns the same queue's tx side. */
struct vs_rxq {
	struct vs_port *port;
	uint16_t qid;
};

#define VS_MAX_RXQS (VS_MAX_PORTS * VS_PORT_QUEUES_MAX)

/* A worker's queues: rxqs[first .. first + n_rxq) of its configuration. */
struct vs_worker_conf {
	uint16_t first;
	uint16_t n_rxq;
};

/*
 * A forwarding configuration: immutable once published. There are two,
 * allocated at start-up at their largest size: the control thread builds
 * the next one in the buffer not in use, publishes it with a release
 * store and waits for a quiescent period (DESIGN.md invariant 5), after
 * which the other buffer is free for the next change. So a change never
 * allocates, and never fails half-way.
 */
struct vs_dp_conf {
	uint16_t n_ports;
	/*
	 * Several workers: a frame for a queue another worker owns goes
	 * through that queue's ring. With one worker there are no rings and
	 * no hand-off cost at all.
	 */
	bool rings;
	struct vs_port *ports[VS_MAX_PORTS];    /* dense: flood targets */
	struct vs_port *by_index[VS_MAX_PORTS]; /* FDB port index -> bridged port */
	struct vs_port *xconnect[VS_MAX_PORTS]; /* port index -> peer, or NULL */
	/* Worker that transmits on (port, queue); VS_NO_WORKER while it moves. */
	int8_t owner[VS_MAX_PORTS][VS_PORT_QUEUES_MAX];
	struct vs_worker_conf workers[RTE_MAX_LCORE];
	struct vs_rxq rxqs[VS_MAX_RXQS];        /* grouped by worker */
};

/* Frames waiting for one (port, queue). */
struct vs_txbuf {
	struct vs_port *port;
	uint16_t n;
	bool queued; /* on the worker's dirty list */
	struct rte_mbuf *pkts[VS_BURST];
};

/* Per-queue traffic, for "port show" and load balancing. Worker: wo. */
struct vs_queue_counters {
	uint64_t rx_packets;
	uint64_t tx_packets;
	uint64_t rx_cycles; /* polling and processing this queue's bursts */
};

#define VS_TXBUF_ID(port_index, q) ((uint16_t)((port_index) * VS_PORT_QUEUES_MAX + (q)))

/*
 * Everything one worker touches, in one place, on its own cache lines.
 * Worker: rw. Control: ro for counters and stats; wo for nothing.
 */
struct __rte_cache_aligned vs_worker {
	unsigned int lcore_id;
	unsigned int id; /* RCU thread id, index in vs_dp_conf.workers */
	struct rte_rcu_qsbr *qsbr;
	struct vs_fdb *fdb;

	struct vs_lcore_stats stats;
	struct rte_mbuf *rx_pkts[VS_BURST];
	uint16_t n_dirty;
	uint16_t dirty[VS_MAX_PORTS * VS_PORT_QUEUES_MAX];
	struct vs_port_counters ctrs[VS_MAX_PORTS];
	struct vs_queue_counters qctrs[VS_MAX_PORTS][VS_PORT_QUEUES_MAX];
	struct vs_txbuf txbufs[VS_MAX_PORTS * VS_PORT_QUEUES_MAX];
};

/* Shared dataplane state. */
struct vs_dp {
	struct vs_dp_conf *conf; /* control: wo (release); workers: ro (acquire) */
	struct vs_dp_conf *confs[2]; /* the two buffers conf points into */
	bool stop;               /* control: wo; workers: ro */
	bool running;
	unsigned int n_workers;
	struct vs_worker *workers[RTE_MAX_LCORE];
	struct rte_rcu_qsbr *qsbr;
	struct rte_mempool *pools[RTE_MAX_NUMA_NODES]; /* per node with lcores */
	struct vs_fdb *fdb;
	/* Hand-off rings, while their port is attached. Control: rw. */
	struct rte_ring *rings[VS_MAX_PORTS][VS_PORT_QUEUES_MAX];
};

extern struct vs_dp vs_dp;

/* The worker's entry point, for rte_eal_remote_launch(). */
int vs_worker_main(void *arg);

#endif /* VS_DP_INTERNAL_H */
