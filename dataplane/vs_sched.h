/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The vhostswitch authors
 */

/*
 * Which worker polls which rx queue, and which NUMA node's mbuf pool a port
 * uses. Pure functions over plain arrays: the caller gathers the topology
 * (lcore and port NUMA nodes, measured busy cycles) and applies the result
 * through a prepared copy of the worker configuration (DESIGN.md,
 * invariant 5), so the policy itself is unit-tested without an EAL and with
 * any topology a test cares to inject.
 */
#ifndef VS_SCHED_H
#define VS_SCHED_H

#include <stdbool.h>
#include <stdint.h>

struct vs_sched_worker {
	int node;              /* NUMA node of the worker's lcore */
};

struct vs_sched_queue {
	uint16_t port;         /* port index */
	uint16_t qid;          /* rx queue */
	int node;              /* NUMA node of the port's memory; -1 unknown */
	uint64_t load;         /* busy cycles measured over the last window */
	int pin;               /* worker it must go to, or -1 */
	int cur;               /* worker that polls it now, or -1 (new queue) */
};

enum vs_sched_policy {
	VS_SCHED_ROUNDROBIN,   /* start-up: spread in order */
	VS_SCHED_CYCLES,       /* by measured load, like OVS pmd-rxq-assign=cycles */
};

struct vs_sched_stats {
	unsigned int numa_fallback; /* queues placed off their node: none there */
	unsigned int moved;         /* queues whose worker differs from cur */
};

/*
 * Assigns every queue to exactly one worker: assign[i] is the worker index
 * of queues[i]. Returns 0, or -EINVAL (no workers, a pin out of range,
 * NULL arguments). Pure: no allocation beyond the stack/heap it frees.
 *
 * Rules:
 * - A pinned queue goes to its pinned worker, whatever that worker's node:
 *   an operator's choice is not a NUMA fallback.
 * - An unpinned queue is eligible for the workers on its node when node >= 0
 *   and at least one worker is there; otherwise for every worker, and when
 *   its node was >= 0 it is counted in stats->numa_fallback.
 * - VS_SCHED_ROUNDROBIN takes unpinned queues in input order; each node (and
 *   the pool of all workers) keeps its own cursor rotating over its eligible
 *   workers in index order. Pinned queues do not advance cursors.
 * - VS_SCHED_CYCLES takes unpinned queues by load, largest first (ties keep
 *   input order), and gives each to the eligible worker with the least load
 *   accumulated so far, pinned queues' loads counted first. Ties go to the
 *   worker with fewer queues so far, then to the queue's cur worker (so that
 *   an unchanged balance moves nothing), then to the lowest index.
 * - stats->moved counts queues with cur >= 0 whose worker differs from cur;
 *   a cur beyond the workers (one was removed) always counts.
 *
 * queues and assign may be NULL when n_queues is 0; stats is required.
 * A pin below -1 is out of range too. On error assign and stats are left
 * untouched. Also returns -ENOMEM when the scratch arrays cannot be
 * allocated. The result is deterministic: same input, same output.
 */
int
vs_sched_assign(enum vs_sched_policy policy,
		const struct vs_sched_worker *workers, unsigned int n_workers,
		const struct vs_sched_queue *queues, unsigned int n_queues,
		int *assign, struct vs_sched_stats *stats);

/*
 * The NUMA node whose mbuf pool a port on want_node should use: want_node
 * itself when it has a pool, else the lowest node that has one (and
 * *fallback set). -1 when no node has a pool.
 *
 * A want_node below 0 (unknown) gets the lowest node with a pool and does
 * not count as a fallback, as for unknown-node queues in vs_sched_assign:
 * nothing was wanted, so nothing was missed. *fallback is false whenever -1
 * is returned. fallback may be NULL.
 */
int
vs_sched_pool_node(int want_node, const bool *node_has_pool,
		   unsigned int n_nodes, bool *fallback);

/*
 * Largest worker load over the mean worker load (1.0 = balanced; 0 loads
 * -> 1.0). Also 1.0 for no workers or a NULL array.
 */
double
vs_sched_imbalance(const uint64_t *worker_load, unsigned int n_workers);

#endif /* VS_SCHED_H */
