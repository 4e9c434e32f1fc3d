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
	uint64_t busy_cycles; /* iterations that moved at least one packet */
	uint64_t idle_cycles; /* iterations that found nothing */
	uint64_t iterations;
	uint64_t packets;     /* packets received from all its queues */
};

#define VS_WORKER_INFO_RXQS 64

struct vs_worker_info {
	unsigned int lcore_id;
	unsigned int n_rxq; /* queues it polls in the current configuration */
	struct {
		uint16_t port;  /* port index */
		uint16_t qid;
	} rxqs[VS_WORKER_INFO_RXQS]; /* the first of them */
	struct vs_lcore_stats stats;
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

struct rte_mempool *vs_dp_mempool(void);
struct vs_fdb *vs_dp_fdb(void);

/*
 * Puts a port into the forwarding configuration (its queues get polled,
 * floods reach it) and zeroes its counters. Returns 0 or -errno.
 */
int vs_dp_port_attach(struct vs_port *port);

/*
 * Takes a port out of the forwarding configuration. On return no worker
 * holds a reference to it or to any of its frames, and its FDB entries are
 * gone; the caller may destroy it. Returns 0 or -ENOENT.
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
