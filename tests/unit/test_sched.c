/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The vhostswitch authors
 */

/*
 * Unit tests of rx-queue-to-worker assignment. The scheduler is pure, so
 * every topology here is injected: worker and queue NUMA nodes are plain
 * numbers, and the tests need neither an EAL nor a NUMA machine.
 */

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vs_cunit.h"

#include "vs_sched.h"

#define DIM(a) (sizeof(a) / sizeof((a)[0]))

/* A value no assignment can produce, to see which entries were written. */
#define UNSET (-7)

static unsigned int
rng_below(unsigned int n)
{
	return (unsigned int)(vs_rng_next() % n);
}

/* An unpinned new queue on node with load. */
static struct vs_sched_queue
q_new(int node, uint64_t load)
{
	return (struct vs_sched_queue){
		.node = node, .load = load, .pin = -1, .cur = -1,
	};
}

static void
fill_unset(int *assign, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		assign[i] = UNSET;
}

static void
assert_assign(const int *got, const int *want, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++) {
		CU_ASSERT_EQUAL(got[i], want[i]);
		if (got[i] != want[i])
			fprintf(stderr, "\n  queue %u: worker %d, want %d\n", i,
				got[i], want[i]);
	}
}

static void
test_rr_spread(void)
{
	struct vs_sched_worker w[2] = { { 0 }, { 0 } };
	struct vs_sched_queue q[5];
	struct vs_sched_stats st = { 99, 99 };
	int a[5];
	static const int want[5] = { 0, 1, 0, 1, 0 };

	for (unsigned int i = 0; i < DIM(q); i++)
		q[i] = q_new(-1, 1000 * (i + 1));
	fill_unset(a, DIM(a));
	CU_ASSERT_EQUAL(vs_sched_assign(VS_SCHED_ROUNDROBIN, w, DIM(w), q,
					DIM(q), a, &st), 0);
	assert_assign(a, want, DIM(a));
	CU_ASSERT_EQUAL(st.numa_fallback, 0);
	CU_ASSERT_EQUAL(st.moved, 0);

	/* Round-robin ignores load and cur, but counts what it moves. */
	q[0].cur = 0; /* stays */
	q[1].cur = 0; /* moves to 1 */
	q[4].cur = 1; /* moves to 0 */
	CU_ASSERT_EQUAL(vs_sched_assign(VS_SCHED_ROUNDROBIN, w, DIM(w), q,
					DIM(q), a, &st), 0);
	assert_assign(a, want, DIM(a));
	CU_ASSERT_EQUAL(st.moved, 2);
}

static void
test_rr_pins(void)
{
	struct vs_sched_worker w[3] = { { 0 }, { 0 }, { 0 } };
	struct vs_sched_queue q[6];
	struct vs_sched_stats st;
	int a[6];
	/* Unpinned queues 0, 2, 4, 5 take cursor positions 0, 1, 2, 0. */
	static const int want[6] = { 0, 2, 1, 0, 2, 0 };

	for (unsigned int i = 0; i < DIM(q); i++)
		q[i] = q_new(-1, 10);
	q[1].pin = 2;
	q[3].pin = 0;
	fill_unset(a, DIM(a));
	CU_ASSERT_EQUAL(vs_sched_assign(VS_SCHED_ROUNDROBIN, w, DIM(w), q,
					DIM(q), a, &st), 0);
	assert_assign(a, want, DIM(a));
	CU_ASSERT_EQUAL(st.numa_fallback, 0);

	/*
	 * A pin to a worker off the queue's node is the operator's choice,
	 * not a fallback, and does not advance the node's cursor either.
	 */
	w[2].node = 1;
	q[1].node = 0;
	{
		static const int want2[6] = { 0, 2, 1, 0, 0, 1 };

		/* Node 0 holds workers 0 and 1 now: its cursor cycles them. */
		q[0].node = 0;
		q[2].node = 0;
		q[4].node = 0;
		q[5].node = 0;
		CU_ASSERT_EQUAL(vs_sched_assign(VS_SCHED_ROUNDROBIN, w, DIM(w),
						q, DIM(q), a, &st), 0);
		assert_assign(a, want2, DIM(a));
		CU_ASSERT_EQUAL(st.numa_fallback, 0);
	}
}

static void
test_invalid(void)
{
	struct vs_sched_worker w[2] = { { 0 }, { 0 } };
	struct vs_sched_queue q[3] = { q_new(-1, 1), q_new(-1, 2), q_new(-1, 3) };
	struct vs_sched_stats st = { 5, 6 };
	int a[3];
	static const enum vs_sched_policy pol[] = {
		VS_SCHED_ROUNDROBIN, VS_SCHED_CYCLES,
	};

	for (unsigned int p = 0; p < DIM(pol); p++) {
		/* A pin one past the last worker. */
		q[1].pin = 2;
		fill_unset(a, DIM(a));
		CU_ASSERT_EQUAL(vs_sched_assign(pol[p], w, DIM(w), q, DIM(q), a,
						&st), -EINVAL);
		/* Errors leave the outputs as they were. */
		for (unsigned int i = 0; i < DIM(a); i++)
			CU_ASSERT_EQUAL(a[i], UNSET);
		CU_ASSERT_EQUAL(st.numa_fallback, 5);
		CU_ASSERT_EQUAL(st.moved, 6);

		q[1].pin = -2;
		CU_ASSERT_EQUAL(vs_sched_assign(pol[p], w, DIM(w), q, DIM(q), a,
						&st), -EINVAL);
		q[1].pin = 1;
		/* The last valid pin is accepted. */
		CU_ASSERT_EQUAL(vs_sched_assign(pol[p], w, DIM(w), q, DIM(q), a,
						&st), 0);
		CU_ASSERT_EQUAL(a[1], 1);
		q[1].pin = -1;

		/* No workers. */
		CU_ASSERT_EQUAL(vs_sched_assign(pol[p], w, 0, q, DIM(q), a,
						&st), -EINVAL);
		CU_ASSERT_EQUAL(vs_sched_assign(pol[p], NULL, 2, q, DIM(q), a,
						&st), -EINVAL);
		/* NULL arguments. */
		CU_ASSERT_EQUAL(vs_sched_assign(pol[p], w, DIM(w), NULL,
						DIM(q), a, &st), -EINVAL);
		CU_ASSERT_EQUAL(vs_sched_assign(pol[p], w, DIM(w), q, DIM(q),
						NULL, &st), -EINVAL);
		CU_ASSERT_EQUAL(vs_sched_assign(pol[p], w, DIM(w), q, DIM(q), a,
						NULL), -EINVAL);
		/* No queues is a valid, empty assignment. */
		st = (struct vs_sched_stats){ 5, 6 };
		CU_ASSERT_EQUAL(vs_sched_assign(pol[p], w, DIM(w), NULL, 0,
						NULL, &st), 0);
		CU_ASSERT_EQUAL(st.numa_fallback, 0);
		CU_ASSERT_EQUAL(st.moved, 0);
		st = (struct vs_sched_stats){ 5, 6 };
	}
	CU_ASSERT_EQUAL(vs_sched_assign((enum vs_sched_policy)7, w, DIM(w), q,
					DIM(q), a, &st), -EINVAL);
}

/* Sums the load each worker ends up with. */
static void
worker_loads(const struct vs_sched_queue *q, const int *a, unsigned int n,
	     uint64_t *load, unsigned int n_workers)
{
	memset(load, 0, n_workers * sizeof(*load));
	for (unsigned int i = 0; i < n; i++)
		load[a[i]] += q[i].load;
}

static void
test_cycles_examples(void)
{
	struct vs_sched_worker w[2] = { { 0 }, { 0 } };
	struct vs_sched_stats st;
	uint64_t load[2];
	int a[5];

	{
		/*
		 * 100 -> w0 (all equal, lowest index); 90 -> w1; 10 -> w1
		 * (90 < 100); 10 -> w0 (100 = 100, one queue against two).
		 */
		struct vs_sched_queue q[4] = {
			q_new(-1, 100), q_new(-1, 90), q_new(-1, 10),
			q_new(-1, 10),
		};
		static const int want[4] = { 0, 1, 1, 0 };

		fill_unset(a, DIM(a));
		CU_ASSERT_EQUAL(vs_sched_assign(VS_SCHED_CYCLES, w, DIM(w), q,
						DIM(q), a, &st), 0);
		assert_assign(a, want, DIM(q));
		worker_loads(q, a, DIM(q), load, DIM(w));
		CU_ASSERT_EQUAL(load[0], 110);
		CU_ASSERT_EQUAL(load[1], 100);
		CU_ASSERT_EQUAL(st.moved, 0);
		CU_ASSERT_EQUAL(st.numa_fallback, 0);
	}
	{
		/*
		 * Given in increasing order, taken as 50 -> w0, 40 -> w1,
		 * 30 -> w1, 20 -> w0, then 10 at 70 = 70 and two queues each
		 * goes to the lowest index.
		 */
		struct vs_sched_queue q[5] = {
			q_new(-1, 10), q_new(-1, 20), q_new(-1, 30),
			q_new(-1, 40), q_new(-1, 50),
		};
		static const int want[5] = { 0, 0, 1, 1, 0 };

		CU_ASSERT_EQUAL(vs_sched_assign(VS_SCHED_CYCLES, w, DIM(w), q,
						DIM(q), a, &st), 0);
		assert_assign(a, want, DIM(q));
	}
	{
		/*
		 * Equal loads keep input order: with a three-way tie on load
		 * the order, not the queue index, decides, so queue 1 is
		 * placed second and lands on w1.
		 */
		struct vs_sched_queue q[3] = {
			q_new(-1, 5), q_new(-1, 5), q_new(-1, 5),
		};
		static const int want[3] = { 0, 1, 0 };

		CU_ASSERT_EQUAL(vs_sched_assign(VS_SCHED_CYCLES, w, DIM(w), q,
						DIM(q), a, &st), 0);
		assert_assign(a, want, DIM(q));
	}
	{
		/*
		 * The queue count breaks a load tie before the index does:
		 * 50 -> w0, 50 -> w1, 0 -> w0 (all equal), then the second 0
		 * goes to w1 (50 = 50, one queue against two) where the
		 * index alone would have said w0.
		 */
		struct vs_sched_queue q[4] = {
			q_new(-1, 0), q_new(-1, 50), q_new(-1, 0),
			q_new(-1, 50),
		};
		static const int want[4] = { 0, 0, 1, 1 };

		CU_ASSERT_EQUAL(vs_sched_assign(VS_SCHED_CYCLES, w, DIM(w), q,
						DIM(q), a, &st), 0);
		assert_assign(a, want, DIM(q));
	}
}

static void
test_cycles_pinned_load(void)
{
	struct vs_sched_worker w[2] = { { 0 }, { 0 } };
	struct vs_sched_stats st;
	uint64_t load[2];
	/*
	 * The pinned 100 on w0 is counted before anything is placed, so 80
	 * goes to w1, and 30 joins it (80 < 100). Had the pin been counted
	 * late, 80 would have taken w0 on the index tie.
	 */
	struct vs_sched_queue q[3] = {
		q_new(-1, 30), q_new(-1, 80), q_new(-1, 100),
	};
	static const int want[3] = { 1, 1, 0 };
	int a[3];

	q[2].pin = 0;
	CU_ASSERT_EQUAL(vs_sched_assign(VS_SCHED_CYCLES, w, DIM(w), q, DIM(q),
					a, &st), 0);
	assert_assign(a, want, DIM(q));
	worker_loads(q, a, DIM(q), load, DIM(w));
	CU_ASSERT_EQUAL(load[0], 100);
	CU_ASSERT_EQUAL(load[1], 110);

	/*
	 * A pinned queue also counts as a queue for the count tie-break: with
	 * a 0-load queue pinned to w0, the first 40 sees 0 = 0 and goes to
	 * w1, which has fewer queues; the second 40 then goes to w0.
	 */
	{
		struct vs_sched_queue r[3] = {
			q_new(-1, 0), q_new(-1, 40), q_new(-1, 40),
		};
		static const int want2[3] = { 0, 1, 0 };

		r[0].pin = 0;
		CU_ASSERT_EQUAL(vs_sched_assign(VS_SCHED_CYCLES, w, DIM(w), r,
						DIM(r), a, &st), 0);
		assert_assign(a, want2, DIM(r));
	}
	/* A pin to a worker off the queue's node is no fallback. */
	{
		struct vs_sched_worker w2[2] = { { 0 }, { 1 } };
		struct vs_sched_queue r[2] = { q_new(0, 7), q_new(0, 3) };
		static const int want3[2] = { 1, 0 };

		r[0].pin = 1;
		CU_ASSERT_EQUAL(vs_sched_assign(VS_SCHED_CYCLES, w2, DIM(w2), r,
						DIM(r), a, &st), 0);
		assert_assign(a, want3, DIM(r));
		CU_ASSERT_EQUAL(st.numa_fallback, 0);
	}
}

static void
test_cycles_stable(void)
{
	struct vs_sched_worker w[2] = { { 0 }, { 0 } };
	struct vs_sched_queue q[4] = {
		q_new(-1, 100), q_new(-1, 90), q_new(-1, 10), q_new(-1, 10),
	};
	struct vs_sched_stats st;
	int a[4];

	/* The mirror image of the fresh result is just as balanced: kept. */
	{
		static const int cur[4] = { 1, 0, 0, 1 };

		for (unsigned int i = 0; i < DIM(q); i++)
			q[i].cur = cur[i];
		CU_ASSERT_EQUAL(vs_sched_assign(VS_SCHED_CYCLES, w, DIM(w), q,
						DIM(q), a, &st), 0);
		assert_assign(a, cur, DIM(q));
		CU_ASSERT_EQUAL(st.moved, 0);
	}
	{
		static const int cur[4] = { 0, 1, 1, 0 };

		for (unsigned int i = 0; i < DIM(q); i++)
			q[i].cur = cur[i];
		CU_ASSERT_EQUAL(vs_sched_assign(VS_SCHED_CYCLES, w, DIM(w), q,
						DIM(q), a, &st), 0);
		assert_assign(a, cur, DIM(q));
		CU_ASSERT_EQUAL(st.moved, 0);
	}
	/*
	 * An unbalanced current placement (110 against 100 is optimal, 200
	 * against 20 is not): 100 stays on w0 on the cur tie, 90 moves to
	 * w1, the first 10 stays on w1, the second moves to w0.
	 */
	{
		static const int cur[4] = { 0, 0, 1, 1 };
		static const int want[4] = { 0, 1, 1, 0 };

		for (unsigned int i = 0; i < DIM(q); i++)
			q[i].cur = cur[i];
		CU_ASSERT_EQUAL(vs_sched_assign(VS_SCHED_CYCLES, w, DIM(w), q,
						DIM(q), a, &st), 0);
		assert_assign(a, want, DIM(q));
		CU_ASSERT_EQUAL(st.moved, 2);
	}
	/* A cur past the last worker (the worker was removed) is a move. */
	{
		static const int want[4] = { 0, 1, 1, 0 };

		for (unsigned int i = 0; i < DIM(q); i++)
			q[i].cur = -1;
		q[2].cur = 5;
		CU_ASSERT_EQUAL(vs_sched_assign(VS_SCHED_CYCLES, w, DIM(w), q,
						DIM(q), a, &st), 0);
		assert_assign(a, want, DIM(q));
		CU_ASSERT_EQUAL(st.moved, 1);
	}
}

/*
 * Two nodes of two workers each, listed interleaved so that a node's
 * workers are not adjacent indices: node 0 has workers 1 and 3, node 1 has
 * 0 and 2.
 */
static void
test_numa_two_nodes(void)
{
	struct vs_sched_worker w[4] = { { 1 }, { 0 }, { 1 }, { 0 } };
	struct vs_sched_stats st;
	int a[9];

	{
		struct vs_sched_queue q[9] = {
			q_new(0, 1), q_new(1, 1), q_new(0, 1), q_new(1, 1),
			q_new(0, 1), q_new(1, 1), q_new(-1, 1), q_new(-1, 1),
			q_new(-1, 1),
		};
		/* Each node's cursor and the all-workers one run separately. */
		static const int want[9] = { 1, 0, 3, 2, 1, 0, 0, 1, 2 };

		CU_ASSERT_EQUAL(vs_sched_assign(VS_SCHED_ROUNDROBIN, w, DIM(w),
						q, DIM(q), a, &st), 0);
		assert_assign(a, want, DIM(q));
		CU_ASSERT_EQUAL(st.numa_fallback, 0);
	}
	{
		/*
		 * By load: 100 (node 0) -> w1, 90 (node 0) -> w3, 60 (any)
		 * -> w0, the lowest idle one; 50 (node 0) -> w3 (90 < 100),
		 * although w2 is idle, as it is on the other node; 40 (any)
		 * -> w2, the idle one; 5 (node 1) -> w2 (40 < 60).
		 */
		struct vs_sched_queue q[6] = {
			q_new(0, 100), q_new(0, 90), q_new(0, 50), q_new(1, 5),
			q_new(-1, 60), q_new(-1, 40),
		};
		static const int want[6] = { 1, 3, 3, 2, 0, 2 };

		CU_ASSERT_EQUAL(vs_sched_assign(VS_SCHED_CYCLES, w, DIM(w), q,
						DIM(q), a, &st), 0);
		assert_assign(a, want, DIM(q));
		CU_ASSERT_EQUAL(st.numa_fallback, 0);
	}
}

/*
 * Four nodes: workers on 0, 1 and 3, none on 2. Queues of node 2 (and of a
 * node the machine does not have) fall back to all workers and share the
 * all-workers cursor with the unknown-node queues.
 */
static void
test_numa_four_nodes(void)
{
	struct vs_sched_worker w[6] = {
		{ 0 }, { 0 }, { 1 }, { 1 }, { 3 }, { 3 },
	};
	struct vs_sched_stats st;
	int a[8];

	{
		struct vs_sched_queue q[8] = {
			q_new(2, 1), q_new(2, 1), q_new(2, 1), q_new(0, 1),
			q_new(3, 1), q_new(-1, 1), q_new(2, 1), q_new(9, 1),
		};
		static const int want[8] = { 0, 1, 2, 0, 4, 3, 4, 5 };

		CU_ASSERT_EQUAL(vs_sched_assign(VS_SCHED_ROUNDROBIN, w, DIM(w),
						q, DIM(q), a, &st), 0);
		assert_assign(a, want, DIM(q));
		/* Node 2 four times and node 9 once; -1 is no fallback. */
		CU_ASSERT_EQUAL(st.numa_fallback, 5);
	}
	{
		/*
		 * The pinned node 2 queue (load 1, on w0) is no fallback, and
		 * its load is counted first, so by load: 80 (node 0) -> w1,
		 * 70 (node 0) -> w0 (1 < 80), 60 (node 2, all) -> w2, 50
		 * (all) -> w3, 30 (node 3) -> w4, 20 (all) -> w5, 10 (all)
		 * -> w5 again (20 is the least).
		 */
		struct vs_sched_queue q[8] = {
			q_new(2, 60), q_new(0, 80), q_new(2, 50), q_new(3, 30),
			q_new(0, 70), q_new(2, 20), q_new(2, 10), q_new(2, 1),
		};
		static const int want[8] = { 2, 1, 3, 4, 0, 5, 5, 0 };

		q[7].pin = 0;
		CU_ASSERT_EQUAL(vs_sched_assign(VS_SCHED_CYCLES, w, DIM(w), q,
						DIM(q), a, &st), 0);
		assert_assign(a, want, DIM(q));
		CU_ASSERT_EQUAL(st.numa_fallback, 4);
	}
}

/*
 * Many random inputs: every queue gets exactly one valid worker, pins and
 * NUMA rules hold, the counters match a recount, and a second call gives
 * the same answer. Round-robin also keeps each eligible set within one
 * queue of even.
 */
static void
test_random_property(void)
{
	enum { ROUNDS = 3000, MAX_W = 16, MAX_Q = 96 };
	struct vs_sched_worker w[MAX_W];
	struct vs_sched_queue q[MAX_Q];
	int a[MAX_Q], b[MAX_Q];
	unsigned int bad = 0;

	vs_rng_seed(0x5eedULL);
	for (unsigned int round = 0; round < ROUNDS; round++) {
		enum vs_sched_policy pol = round & 1 ? VS_SCHED_CYCLES :
						       VS_SCHED_ROUNDROBIN;
		/* Half the rounds are flat: no nodes, no pins. */
		bool flat = (round & 3) >= 2;
		unsigned int nw = 1 + rng_below(MAX_W);
		unsigned int nq = rng_below(MAX_Q + 1);
		unsigned int want_fb = 0, want_moved = 0;
		/* Set 0 is all workers, set 1 + n the workers of node n. */
		unsigned int per_set[5][MAX_W] = { { 0 } };
		struct vs_sched_stats st, st2;
		bool node_has[8] = { false };
		int ret;

		for (unsigned int i = 0; i < nw; i++) {
			w[i].node = flat ? 0 : (int)rng_below(4);
			node_has[w[i].node] = true;
		}
		for (unsigned int i = 0; i < nq; i++) {
			uint64_t r = vs_rng_next();

			q[i] = (struct vs_sched_queue){
				.port = (uint16_t)rng_below(8),
				.qid = (uint16_t)i,
				.node = flat ? -1 : (int)rng_below(7) - 1,
				/* Small loads for many ties, some huge. */
				.load = r & 1 ? rng_below(4) * 10 :
					(r & 2 ? vs_rng_next() >> 8 : vs_rng_next()),
				.pin = !flat && rng_below(5) == 0 ?
					(int)rng_below(nw) : -1,
				.cur = (int)rng_below(nw + 2) - 1,
			};
		}
		fill_unset(a, MAX_Q);
		ret = vs_sched_assign(pol, w, nw, q, nq, a, &st);
		CU_ASSERT_EQUAL_FATAL(ret, 0);
		for (unsigned int i = 0; i < nq; i++) {
			int node = q[i].node;
			bool local = node >= 0 && node_has[node];

			if (a[i] < 0 || (unsigned int)a[i] >= nw) {
				bad++;
				continue;
			}
			if (q[i].pin >= 0) {
				bad += a[i] != q[i].pin;
			} else {
				if (local)
					bad += w[a[i]].node != node;
				else if (node >= 0)
					want_fb++;
				per_set[local ? 1 + node : 0][a[i]]++;
			}
			want_moved += q[i].cur >= 0 && a[i] != q[i].cur;
		}
		for (unsigned int i = nq; i < MAX_Q; i++)
			bad += a[i] != UNSET;
		CU_ASSERT_EQUAL(st.numa_fallback, want_fb);
		CU_ASSERT_EQUAL(st.moved, want_moved);

		if (pol == VS_SCHED_ROUNDROBIN) {
			for (unsigned int s = 0; s < 5; s++) {
				unsigned int lo = UINT32_MAX, hi = 0;

				for (unsigned int i = 0; i < nw; i++) {
					if (s > 0 && w[i].node != (int)s - 1)
						continue;
					if (per_set[s][i] < lo)
						lo = per_set[s][i];
					if (per_set[s][i] > hi)
						hi = per_set[s][i];
				}
				bad += hi > 0 && hi - lo > 1;
			}
		}

		/* Deterministic. */
		fill_unset(b, MAX_Q);
		CU_ASSERT_EQUAL(vs_sched_assign(pol, w, nw, q, nq, b, &st2), 0);
		bad += memcmp(a, b, sizeof(a)) != 0;
		bad += st.moved != st2.moved ||
		       st.numa_fallback != st2.numa_fallback;
	}
	CU_ASSERT_EQUAL(bad, 0);
}

/*
 * The greedy bound of the cycles policy, on flat inputs with loads small
 * enough to sum exactly: the most loaded worker got its last queue while it
 * was the least loaded, so it ends at most one queue's load above any other.
 */
static void
test_cycles_greedy_bound(void)
{
	enum { ROUNDS = 2000, MAX_W = 12, MAX_Q = 80 };
	struct vs_sched_worker w[MAX_W] = { { 0 } };
	struct vs_sched_queue q[MAX_Q];
	int a[MAX_Q];
	unsigned int bad = 0;

	vs_rng_seed(0xc7c1e5ULL);
	for (unsigned int round = 0; round < ROUNDS; round++) {
		unsigned int nw = 1 + rng_below(MAX_W);
		unsigned int nq = 1 + rng_below(MAX_Q);
		uint64_t load[MAX_W], lo = UINT64_MAX, hi = 0, max_q = 0;
		struct vs_sched_stats st;

		for (unsigned int i = 0; i < nq; i++) {
			q[i] = q_new(-1, vs_rng_next() >> 24);
			if (q[i].load > max_q)
				max_q = q[i].load;
		}
		CU_ASSERT_EQUAL_FATAL(vs_sched_assign(VS_SCHED_CYCLES, w, nw, q,
						      nq, a, &st), 0);
		worker_loads(q, a, nq, load, nw);
		for (unsigned int i = 0; i < nw; i++) {
			if (load[i] < lo)
				lo = load[i];
			if (load[i] > hi)
				hi = load[i];
		}
		bad += hi - lo > max_q;
		/* With at least as many queues as workers, none is idle. */
		bad += nq >= nw && lo == 0;
	}
	CU_ASSERT_EQUAL(bad, 0);
}

static void
test_pool_node(void)
{
	const bool pools[3] = { true, false, true };
	const bool only2[3] = { false, false, true };
	const bool none[3] = { false, false, false };
	bool fb;

	fb = true;
	CU_ASSERT_EQUAL(vs_sched_pool_node(0, pools, 3, &fb), 0);
	CU_ASSERT_FALSE(fb);
	fb = true;
	CU_ASSERT_EQUAL(vs_sched_pool_node(2, pools, 3, &fb), 2);
	CU_ASSERT_FALSE(fb);
	/* No pool on node 1: the lowest node that has one. */
	fb = false;
	CU_ASSERT_EQUAL(vs_sched_pool_node(1, pools, 3, &fb), 0);
	CU_ASSERT_TRUE(fb);
	fb = false;
	CU_ASSERT_EQUAL(vs_sched_pool_node(0, only2, 3, &fb), 2);
	CU_ASSERT_TRUE(fb);
	/* A node the machine does not have is a fallback too. */
	fb = false;
	CU_ASSERT_EQUAL(vs_sched_pool_node(7, pools, 3, &fb), 0);
	CU_ASSERT_TRUE(fb);
	/* Unknown node: the lowest pool, and nothing wanted was missed. */
	fb = true;
	CU_ASSERT_EQUAL(vs_sched_pool_node(-1, only2, 3, &fb), 2);
	CU_ASSERT_FALSE(fb);
	/* No pool anywhere. */
	fb = true;
	CU_ASSERT_EQUAL(vs_sched_pool_node(1, none, 3, &fb), -1);
	CU_ASSERT_FALSE(fb);
	fb = true;
	CU_ASSERT_EQUAL(vs_sched_pool_node(0, pools, 0, &fb), -1);
	CU_ASSERT_FALSE(fb);
	CU_ASSERT_EQUAL(vs_sched_pool_node(0, NULL, 3, &fb), -1);
	/* fallback is optional. */
	CU_ASSERT_EQUAL(vs_sched_pool_node(1, pools, 3, NULL), 0);
	CU_ASSERT_EQUAL(vs_sched_pool_node(2, pools, 3, NULL), 2);
}

static void
test_imbalance(void)
{
	const uint64_t even[2] = { 100, 100 };
	const uint64_t skew[2] = { 300, 100 };
	const uint64_t one_busy[4] = { 400, 0, 0, 0 };
	const uint64_t idle[3] = { 0, 0, 0 };
	const uint64_t three[3] = { 10, 20, 30 };
	const uint64_t huge[2] = { UINT64_MAX, UINT64_MAX };

	CU_ASSERT_DOUBLE_EQUAL(vs_sched_imbalance(even, 2), 1.0, 1e-12);
	CU_ASSERT_DOUBLE_EQUAL(vs_sched_imbalance(skew, 2), 1.5, 1e-12);
	CU_ASSERT_DOUBLE_EQUAL(vs_sched_imbalance(one_busy, 4), 4.0, 1e-12);
	CU_ASSERT_DOUBLE_EQUAL(vs_sched_imbalance(three, 3), 1.5, 1e-12);
	CU_ASSERT_DOUBLE_EQUAL(vs_sched_imbalance(idle, 3), 1.0, 1e-12);
	CU_ASSERT_DOUBLE_EQUAL(vs_sched_imbalance(skew, 1), 1.0, 1e-12);
	CU_ASSERT_DOUBLE_EQUAL(vs_sched_imbalance(skew, 0), 1.0, 1e-12);
	CU_ASSERT_DOUBLE_EQUAL(vs_sched_imbalance(NULL, 2), 1.0, 1e-12);
	/* Sums past 2^64 must not wrap into a tiny mean. */
	CU_ASSERT_DOUBLE_EQUAL(vs_sched_imbalance(huge, 2), 1.0, 1e-12);
}

int
main(void)
{
	static const struct vs_cunit_test tests[] = {
		{ "round-robin spreads in order", test_rr_spread },
		{ "round-robin pins", test_rr_pins },
		{ "invalid arguments", test_invalid },
		{ "cycles worked examples", test_cycles_examples },
		{ "cycles counts pinned load first", test_cycles_pinned_load },
		{ "cycles keeps an unchanged balance", test_cycles_stable },
		{ "NUMA: two nodes", test_numa_two_nodes },
		{ "NUMA: four nodes, one without workers", test_numa_four_nodes },
		{ "random inputs", test_random_property },
		{ "cycles greedy bound", test_cycles_greedy_bound },
		{ "pool node", test_pool_node },
		{ "imbalance", test_imbalance },
	};

	return VS_CUNIT_MAIN("sched", NULL, tests);
}
