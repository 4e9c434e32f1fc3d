/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The vhostswitch authors
 */

/*
 * Unit tests of vs-gen's receive-side accounting (bench/vs_gen_stats.h):
 * what a sink calls reordered, duplicate and lost, and the latency
 * histogram's buckets and quantiles. No EAL, no DPDK.
 */

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vs_cunit.h"

#include "vs_gen_stats.h"

static struct gen_rx_counts c;
static struct gen_flow_rx f;

static void
feed(const uint32_t *seqs, unsigned int n)
{
	memset(&c, 0, sizeof(c));
	memset(&f, 0, sizeof(f));
	for (unsigned int i = 0; i < n; i++)
		gen_flow_account(&c, &f, seqs[i]);
}

static void
test_in_order(void)
{
	static const uint32_t s[] = { 0, 1, 2, 3, 4, 5 };

	feed(s, 6);
	CU_ASSERT_EQUAL(c.rx, 6);
	CU_ASSERT_EQUAL(c.reordered, 0);
	CU_ASSERT_EQUAL(c.duplicates, 0);
	CU_ASSERT_EQUAL(f.next, 6);
}

static void
test_gap_is_not_reorder(void)
{
	/* Lost frames leave a gap; what arrives is still in order. */
	static const uint32_t s[] = { 0, 1, 5, 6, 100, 101 };

	feed(s, 6);
	CU_ASSERT_EQUAL(c.reordered, 0);
	CU_ASSERT_EQUAL(c.duplicates, 0);
	CU_ASSERT_EQUAL(f.next, 102);
}

static void
test_reorder_and_duplicates(void)
{
	/* 2 and 1 are late (reordered); the second 2 and 3 are duplicates. */
	static const uint32_t s[] = { 0, 3, 2, 1, 2, 3, 4 };

	feed(s, 7);
	CU_ASSERT_EQUAL(c.rx, 7);
	CU_ASSERT_EQUAL(c.reordered, 2);
	CU_ASSERT_EQUAL(c.duplicates, 2);
	/* Distinct frames: what loss is computed from (sent - rx + dups). */
	CU_ASSERT_EQUAL(c.rx - c.duplicates, 5);
}

static void
test_window_edges(void)
{
	uint32_t s[4] = { 0, 63, 0, 0 };

	/* 0 is 63 below 63: still in the window, so a duplicate. */
	feed(s, 3);
	CU_ASSERT_EQUAL(c.duplicates, 1);
	CU_ASSERT_EQUAL(c.reordered, 0);
	/* 64 below: out of the window, counted as reordered, not duplicate. */
	s[1] = 64;
	feed(s, 3);
	CU_ASSERT_EQUAL(c.duplicates, 0);
	CU_ASSERT_EQUAL(c.reordered, 1);
	/* A jump of more than 64 clears the window. */
	s[1] = 1000;
	s[2] = 999;
	s[3] = 999;
	feed(s, 4);
	CU_ASSERT_EQUAL(c.reordered, 1);
	CU_ASSERT_EQUAL(c.duplicates, 1);
}

static void
test_buckets(void)
{
	/* Every value falls in a bucket whose bounds hold it, and buckets
	 * grow monotonically with the value. */
	unsigned int prev = 0;

	for (uint64_t v = 0; v < 1u << 20; v = v < 64 ? v + 1 : v + v / 7) {
		unsigned int b = gen_lat_bucket(v);

		CU_ASSERT(b < GEN_LAT_BUCKETS);
		CU_ASSERT(b >= prev);
		CU_ASSERT(gen_lat_bucket_low(b) <= (double)v);
		CU_ASSERT((double)v < gen_lat_bucket_low(b + 1));
		prev = b;
	}
	CU_ASSERT(gen_lat_bucket(UINT64_MAX) == GEN_LAT_BUCKETS - 1);
	/* Relative width at most 1/16 above the linear range. */
	for (unsigned int b = GEN_LAT_SUB; b < GEN_LAT_BUCKETS - 1; b++)
		CU_ASSERT((gen_lat_bucket_low(b + 1) - gen_lat_bucket_low(b)) /
			  gen_lat_bucket_low(b) <= 1.0 / GEN_LAT_SUB + 1e-12);
}

static void
test_quantiles(void)
{
	struct gen_lat l;

	gen_lat_init(&l);
	CU_ASSERT_EQUAL(gen_lat_quantile(&l, 0.5), 0);
	/* 1000 .. 100999: p50 near 51000, p99 near 100000, within 1/16. */
	for (uint64_t v = 1000; v < 101000; v++)
		gen_lat_record(&l, v);
	CU_ASSERT_EQUAL(l.n, 100000);
	CU_ASSERT_EQUAL(l.min, 1000);
	CU_ASSERT_EQUAL(l.max, 100999);
	CU_ASSERT(fabs(gen_lat_quantile(&l, 0.5) - 50999) <= 50999 / 16.0);
	CU_ASSERT(fabs(gen_lat_quantile(&l, 0.99) - 99999) <= 99999 / 16.0);
	CU_ASSERT(gen_lat_quantile(&l, 0.5) <= gen_lat_quantile(&l, 0.99));
	CU_ASSERT(gen_lat_quantile(&l, 0.99) <= gen_lat_quantile(&l, 0.999));
	CU_ASSERT(gen_lat_quantile(&l, 0.999) <= (double)l.max);
	CU_ASSERT(gen_lat_quantile(&l, 1.0) <= (double)l.max);

	/* One value: every quantile is it, exactly (clamped to min/max). */
	gen_lat_init(&l);
	gen_lat_record(&l, 123456);
	CU_ASSERT_EQUAL(gen_lat_quantile(&l, 0.5), 123456);
	CU_ASSERT_EQUAL(gen_lat_quantile(&l, 0.999), 123456);

	/* A tail: 999 small values and one large; p99.9 is still small,
	 * the max is the large one. */
	gen_lat_init(&l);
	for (int i = 0; i < 999; i++)
		gen_lat_record(&l, 10);
	gen_lat_record(&l, 1000000);
	CU_ASSERT_EQUAL(gen_lat_quantile(&l, 0.999), 10);
	CU_ASSERT_EQUAL(gen_lat_quantile(&l, 1.0), 1000000);
}

int
main(void)
{
	static const struct vs_cunit_test tests[] = {
		{ "in order", test_in_order },
		{ "a gap is loss, not reordering", test_gap_is_not_reorder },
		{ "reordering and duplicates", test_reorder_and_duplicates },
		{ "the 64-frame window", test_window_edges },
		{ "histogram buckets", test_buckets },
		{ "quantiles", test_quantiles },
	};

	return VS_CUNIT_MAIN("gen_stats", NULL, tests);
}
