/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The vhostswitch authors
 */

/*
 * The dataplane as the control plane sees it: start and stop the workers,
 * attach and detach ports while traffic flows, read counters.
 *
 * All functions here are for the control thread unless said otherwise;
 * none may be called from a worker.
 */
#ifndef VS_DP_H
#define VS_DP_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_mempool.h>

#include "vs_fdb.h"
#include "vs_port.h"

#define VS_BURST 32
#define VS_DEFAULT_MBUFS 16383

struct vs_dp_params {
	uint32_t n_mbufs;     /* size of the packet buffer pool */
	uint32_t fdb_entries; /* FDB capacity */
	uint32_t aging;       /* FDB ageing time in seconds */
};

/* What one worker did, since start. Written by the worker only. */
struct vs_lcore_stats {
	uint64_t busy_cycles; /* iterations that received or transmitted frames */
	uint64_t idle_cycles; /* iterations that found nothing */
	/*
	 * Of busy_cycles, those spent on queues that delivered frames, on
	 * transmitting what other workers handed over and on flushing output:
	 * busy_cycles less the empty polls of the other queues in the same
	 * iterations. Per packet, it is what a frame costs whatever the
	 * number of queues polled.
	 */
	uint64_t work_cycles;
	uint64_t iterations;
	uint64_t packets;     /* packets received from all its queues */
};

#define VS_WORKER_INFO_RXQS 64

struct vs_worker_info {
	unsigned int lcore_id;
	int numa_node;
	unsigned int n_rxq; /* queues it polls in the current configuration */
	struct {
		uint16_t port;  /* port index */
		uint16_t qid;
	} rxqs[VS_WORKER_INFO_RXQS]; /* the first of them */
	struct vs_lcore_stats stats;
	uint64_t ring_drops; /* frames it could not hand to another worker */
};

/* One queue pair of a port, as "port show" tells it. */
struct vs_queue_info {
	int lcore;           /* worker lcore polling it; -1 while it moves */
	bool pinned;
	bool rx_enabled;     /* the peer enabled this rx queue */
	uint64_t rx_packets;
	uint64_t tx_packets;
	uint64_t rx_cycles;  /* polling bursts from it and forwarding them */
};

enum vs_rebalance_policy {
	VS_REBALANCE_CYCLES,     /* by measured load */
	VS_REBALANCE_ROUNDROBIN, /* spread evenly, ignoring load */
};

/*
 * Creates the packet pool, the FDB, the RCU state and one worker per EAL
 * worker lcore. Returns 0 or -errno with *err describing the problem.
 */
int vs_dp_init(const struct vs_dp_params *params, char *err, size_t errlen);

/* Launches the workers on their lcores. */
int vs_dp_start(void);

/* Stops the workers and waits for them; their buffers are flushed. */
void vs_dp_stop(void);

/* Frees what vs_dp_init() created. Workers must be stopped. */
void vs_dp_fini(void);

struct vs_fdb *vs_dp_fdb(void);

/*
 * The mbuf pool for a port whose memory is on NUMA node node (-1:
 * unknown); *fallback is set when that node has no pool of its own.
 * Any thread.
 */
struct rte_mempool *vs_dp_pool_for_node(int node, bool *fallback);

/* Mbufs out of all pools, and the pools' total size. */
unsigned int vs_dp_mbufs_in_use(void);
unsigned int vs_dp_mbufs_total(void);

/*
 * Puts a port into the forwarding configuration (its queues get polled,
 * floods reach it) and zeroes its counters. Returns 0, -EEXIST, -ENOSPC,
 * or -ENOMEM (its hand-off rings could not be created).
 */
int vs_dp_port_attach(struct vs_port *port);

/*
 * Takes a port out of the forwarding configuration. On return no worker
 * holds a reference to it or to any of its frames (frames still waiting
 * in its rings are freed and counted as not_ready), and its FDB entries
 * are gone; the caller may destroy it. Returns 0 or -ENOENT (not attached).
 */
int vs_dp_port_detach(struct vs_port *port);

/*
 * Waits until every running worker has passed a quiescent point, so that
 * nothing a worker read before the call is still in use. Callable from any
 * non-worker thread (the vhost event thread uses it in destroy_device).
 */
void vs_dp_quiesce(void);

/*
 * Cross-connects two attached ports: every frame from one goes to the
 * other, unexamined, and neither takes part in bridging (no learning, no
 * floods in or out). Returns 0, -ENOENT (not attached), -EINVAL (same
 * port) or -EBUSY (one is already cross-connected).
 */
int vs_dp_xconnect(struct vs_port *a, struct vs_port *b);

/* Ends the cross-connect of port a (and its peer); -ENOENT if none. */
int vs_dp_xconnect_del(struct vs_port *a);

/* The port cross-connected with p, or NULL. */
struct vs_port *vs_dp_xconnect_peer(const struct vs_port *p);

/*
 * Pins rx queue q of port (and with it tx queue q) to the worker on
 * lcore, moving it there now; lcore -1 unpins (it stays until the next
 * rebalance). Returns 0, -ENOENT (port not attached), -EINVAL (no such
 * queue) or -ENODEV (lcore is not a worker).
 */
int vs_dp_pin(struct vs_port *port, uint16_t q, int lcore);

/*
 * Moves queues between workers: by the load each queue put on its worker
 * since the previous rebalance, or round-robin; pinned queues stay.
 * Every move goes through an ownerless quiescent period, so no frame is
 * duplicated or reordered. Returns the number of queues moved or -errno.
 */
int vs_dp_rebalance(enum vs_rebalance_policy policy);

/*
 * Rebalances by itself, checked every interval seconds, when the busiest
 * worker was busy at least threshold percent of that interval and the
 * load would spread better. Off by default.
 */
void vs_dp_set_auto_rebalance(bool on, unsigned int threshold_pct,
			      unsigned int interval);
void vs_dp_get_auto_rebalance(bool *on, unsigned int *threshold_pct,
			      unsigned int *interval, uint64_t *runs);

/* Fills *info for queue pair q of an attached port; 0 or -ENOENT. */
int vs_dp_queue_info(const struct vs_port *port, uint16_t q,
		     struct vs_queue_info *info);

/* The worker index of an lcore, or -1. */
int vs_dp_worker_of_lcore(unsigned int lcore);

/* Sets the FDB ageing time in seconds. */
void vs_dp_set_aging(uint32_t seconds);

/* Advances the FDB clock to now (seconds) and ages out stale entries. */
void vs_dp_tick(uint32_t now);

/* Sums the counters of a port over all workers and the port itself. */
void vs_dp_port_counters(const struct vs_port *port,
			 struct vs_port_counters *out);

/* Makes every port's counters read zero from now on. */
void vs_dp_counters_clear(void);

unsigned int vs_dp_worker_count(void);

/* Fills *info for worker idx; returns 0 or -ENOENT. */
int vs_dp_worker_info(unsigned int idx, struct vs_worker_info *info);

#endif /* VS_DP_H */
