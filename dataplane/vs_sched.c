/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The vhostswitch authors
 */

/*
 * Rx-queue-to-worker assignment and mbuf pool node choice. See vs_sched.h
 * for the rules; this file only says how they are carried out.
 *
 * Workers are grouped by NUMA node through one array of worker indices
 * sorted by (node, index): a node's workers are then a contiguous run of it,
 * in index order, found by binary search. The pool of all workers is the
 * identity array, so both kinds of eligible set are one (array, length)
 * pair and the two policies never need to know which kind they were given.
 */

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include "vs_sched.h"

/* One entry of a sort; idx breaks ties, which makes every order total. */
struct sched_key {
	uint64_t key;
	unsigned int idx;
	int node;
};

/* Workers by node, then index. */
static int
cmp_worker(const void *a, const void *b)
{
	const struct sched_key *x = a, *y = b;

	if (x->node != y->node)
		return x->node < y->node ? -1 : 1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* Queues by load, largest first, then input order. */
static int
cmp_queue(const void *a, const void *b)
{
	const struct sched_key *x = a, *y = b;

	if (x->key != y->key)
		return x->key > y->key ? -1 : 1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* The scratch state of one call, freed before it returns. */
struct sched_ctx {
	const struct vs_sched_worker *workers;
	unsigned int n_workers;
	unsigned int *by_node; /* worker indices sorted by (node, index) */
	unsigned int *all;     /* 0 .. n_workers - 1 */
	/*
	 * Round-robin cursors: cursor[p] belongs to the node group starting at
	 * by_node[p]; cursor[n_workers] to the pool of all workers.
	 */
	unsigned int *cursor;
	uint64_t *load;        /* accumulated load per worker */
	unsigned int *count;   /* queues assigned so far per worker */
};

/* Where a queue may go: a run of worker indices, and its cursor. */
struct sched_set {
	const unsigned int *members;
	unsigned int n;
	unsigned int *cursor;
};

/*
 * The eligible workers of an unpinned queue on node; *fallback tells
 * whether a known node had no worker and the queue fell back to all.
 */
static struct sched_set
sched_eligible(const struct sched_ctx *c, int node, bool *fallback)
{
	unsigned int lo = 0, hi = c->n_workers, start;

	*fallback = false;
	if (node >= 0) {
		/* Lower bound of node in by_node. */
		while (lo < hi) {
			unsigned int mid = lo + (hi - lo) / 2;

			if (c->workers[c->by_node[mid]].node < node)
				lo = mid + 1;
			else
				hi = mid;
		}
		start = lo;
		hi = c->n_workers;
		/* Upper bound, searching from the lower one. */
		while (lo < hi) {
			unsigned int mid = lo + (hi - lo) / 2;

			if (c->workers[c->by_node[mid]].node <= node)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo > start)
			return (struct sched_set){
				.members = &c->by_node[start],
				.n = lo - start,
				.cursor = &c->cursor[start],
			};
		*fallback = true;
	}
	return (struct sched_set){
		.members = c->all,
		.n = c->n_workers,
		.cursor = &c->cursor[c->n_workers],
	};
}

/*
 * Loads are cycle counts over a window and cannot realistically overflow
 * 64 bits when summed, but a saturating sum keeps a hostile or garbage
 * measurement from wrapping around into "idle".
 */
static uint64_t
add_sat(uint64_t a, uint64_t b)
{
	return a + b < a ? UINT64_MAX : a + b;
}

/* The worker of set that the tie rules of VS_SCHED_CYCLES prefer. */
static unsigned int
sched_least_loaded(const struct sched_ctx *c, const struct sched_set *set,
		   int cur)
{
	unsigned int best = set->members[0];

	/*
	 * Members are in increasing index order, so keeping the first of
	 * equals already implements the last tie rule, lowest index.
	 */
	for (unsigned int k = 1; k < set->n; k++) {
		unsigned int w = set->members[k];

		if (c->load[w] != c->load[best]) {
			if (c->load[w] < c->load[best])
				best = w;
			continue;
		}
		if (c->count[w] != c->count[best]) {
			if (c->count[w] < c->count[best])
				best = w;
			continue;
		}
		if ((int)w == cur)
			best = w;
	}
	return best;
}

static void
sched_ctx_free(struct sched_ctx *c)
{
	free(c->by_node);
	free(c->all);
	free(c->cursor);
	free(c->load);
	free(c->count);
}

static int
sched_ctx_init(struct sched_ctx *c, const struct vs_sched_worker *workers,
	       unsigned int n_workers)
{
	struct sched_key *keys;

	*c = (struct sched_ctx){ .workers = workers, .n_workers = n_workers };
	keys = calloc(n_workers, sizeof(*keys));
	c->by_node = calloc(n_workers, sizeof(*c->by_node));
	c->all = calloc(n_workers, sizeof(*c->all));
	c->cursor = calloc((size_t)n_workers + 1, sizeof(*c->cursor));
	c->load = calloc(n_workers, sizeof(*c->load));
	c->count = calloc(n_workers, sizeof(*c->count));
	if (keys == NULL || c->by_node == NULL || c->all == NULL ||
	    c->cursor == NULL || c->load == NULL || c->count == NULL) {
		free(keys);
		sched_ctx_free(c);
		return -ENOMEM;
	}
	for (unsigned int w = 0; w < n_workers; w++) {
		keys[w] = (struct sched_key){ .idx = w, .node = workers[w].node };
		c->all[w] = w;
	}
	qsort(keys, n_workers, sizeof(*keys), cmp_worker);
	for (unsigned int p = 0; p < n_workers; p++)
		c->by_node[p] = keys[p].idx;
	free(keys);
	return 0;
}

static void
sched_roundrobin(struct sched_ctx *c, const struct vs_sched_queue *queues,
		 unsigned int n_queues, int *assign,
		 struct vs_sched_stats *stats)
{
	for (unsigned int i = 0; i < n_queues; i++) {
		struct sched_set set;
		bool fallback;

		if (queues[i].pin >= 0) {
			assign[i] = queues[i].pin;
			continue;
		}
		set = sched_eligible(c, queues[i].node, &fallback);
		stats->numa_fallback += fallback;
		assign[i] = (int)set.members[*set.cursor];
		*set.cursor = *set.cursor + 1 == set.n ? 0 : *set.cursor + 1;
	}
}

static int
sched_cycles(struct sched_ctx *c, const struct vs_sched_queue *queues,
	     unsigned int n_queues, int *assign, struct vs_sched_stats *stats)
{
	struct sched_key *order;
	unsigned int n = 0;

	order = calloc(n_queues ? n_queues : 1, sizeof(*order));
	if (order == NULL)
		return -ENOMEM;
	/* Pinned queues first, so that the rest balance around them. */
	for (unsigned int i = 0; i < n_queues; i++) {
		int w = queues[i].pin;

		if (w < 0) {
			order[n++] = (struct sched_key){
				.key = queues[i].load, .idx = i,
			};
			continue;
		}
		assign[i] = w;
		c->load[w] = add_sat(c->load[w], queues[i].load);
		c->count[w]++;
	}
	qsort(order, n, sizeof(*order), cmp_queue);
	for (unsigned int k = 0; k < n; k++) {
		const struct vs_sched_queue *q = &queues[order[k].idx];
		struct sched_set set;
		unsigned int w;
		bool fallback;

		set = sched_eligible(c, q->node, &fallback);
		stats->numa_fallback += fallback;
		w = sched_least_loaded(c, &set, q->cur);
		assign[order[k].idx] = (int)w;
		c->load[w] = add_sat(c->load[w], q->load);
		c->count[w]++;
	}
	free(order);
	return 0;
}

int
vs_sched_assign(enum vs_sched_policy policy,
		const struct vs_sched_worker *workers, unsigned int n_workers,
		const struct vs_sched_queue *queues, unsigned int n_queues,
		int *assign, struct vs_sched_stats *stats)
{
	struct vs_sched_stats st = { 0 };
	struct sched_ctx c;
	int ret;

	if (workers == NULL || n_workers == 0 || stats == NULL ||
	    (n_queues > 0 && (queues == NULL || assign == NULL)))
		return -EINVAL;
	if (policy != VS_SCHED_ROUNDROBIN && policy != VS_SCHED_CYCLES)
		return -EINVAL;
	/* Check every pin before writing anything, so errors leave no trace. */
	for (unsigned int i = 0; i < n_queues; i++)
		if (queues[i].pin < -1 ||
		    (queues[i].pin >= 0 &&
		     (unsigned int)queues[i].pin >= n_workers))
			return -EINVAL;

	ret = sched_ctx_init(&c, workers, n_workers);
	if (ret < 0)
		return ret;
	if (policy == VS_SCHED_ROUNDROBIN) {
		sched_roundrobin(&c, queues, n_queues, assign, &st);
	} else {
		ret = sched_cycles(&c, queues, n_queues, assign, &st);
		if (ret < 0) {
			sched_ctx_free(&c);
			return ret;
		}
	}
	sched_ctx_free(&c);

	for (unsigned int i = 0; i < n_queues; i++)
		if (queues[i].cur >= 0 && assign[i] != queues[i].cur)
			st.moved++;
	*stats = st;
	return 0;
}

int
vs_sched_pool_node(int want_node, const bool *node_has_pool,
		   unsigned int n_nodes, bool *fallback)
{
	bool fb = false;
	int node = -1;

	if (node_has_pool != NULL) {
		if (want_node >= 0 && (unsigned int)want_node < n_nodes &&
		    node_has_pool[want_node]) {
			node = want_node;
		} else {
			for (unsigned int n = 0; n < n_nodes; n++) {
				if (node_has_pool[n]) {
					node = (int)n;
					break;
				}
			}
			fb = node >= 0 && want_node >= 0;
		}
	}
	if (fallback != NULL)
		*fallback = fb;
	return node;
}

double
vs_sched_imbalance(const uint64_t *worker_load, unsigned int n_workers)
{
	double sum = 0, max = 0;

	if (worker_load == NULL || n_workers == 0)
		return 1.0;
	/*
	 * Summed in double: a sum of 64-bit cycle counts may overflow an
	 * integer, and the ratio needs no more than double's precision.
	 */
	for (unsigned int w = 0; w < n_workers; w++) {
		double l = (double)worker_load[w];

		sum += l;
		if (l > max)
			max = l;
	}
	if (sum == 0)
		return 1.0;
	return max * n_workers / sum;
}
