/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The vhostswitch authors
 */

/*
 * vs-gen's receive-side accounting, header-only so the unit tests check it
 * without EAL: per-flow reordering and duplicates from sequence numbers,
 * and a log-linear latency histogram with its quantiles. Everything here
 * is in TSC cycles; vs-gen turns them into nanoseconds.
 */

#ifndef VS_GEN_STATS_H
#define VS_GEN_STATS_H

#include <math.h>
#include <stdint.h>
#include <string.h>

/* What a sink knows of one flow: 16 bytes, so 100k flows fit in 1.6 MB. */
struct gen_flow_rx {
	uint32_t next;      /* highest sequence number seen + 1; 0: none yet */
	uint32_t pad;
	uint64_t window;    /* bit i: sequence number next - 1 - i arrived */
};

struct gen_rx_counts {
	uint64_t rx;         /* every frame, duplicates included */
	uint64_t reordered;  /* below the highest seen in its flow, first time */
	uint64_t duplicates; /* seen before, within the last 64 of its flow */
};

/*
 * Accounts one frame of a flow. A frame more than 64 below the highest
 * seen cannot be told from a duplicate and counts as reordered.
 */
static inline void
gen_flow_account(struct gen_rx_counts *c, struct gen_flow_rx *f, uint32_t seq)
{
	uint32_t d;

	c->rx++;
	if (seq >= f->next) {
		uint32_t shift = seq + 1 - f->next;

		f->window = shift >= 64 ? 0 : f->window << shift;
		f->window |= 1;
		f->next = seq + 1;
		return;
	}
	d = f->next - 1 - seq;
	if (d < 64 && (f->window & (1ULL << d))) {
		c->duplicates++;
		return;
	}
	if (d < 64)
		f->window |= 1ULL << d;
	c->reordered++;
}

/*
 * Latency histogram: values below GEN_LAT_SUB have a bucket each; above,
 * every power of two is cut into GEN_LAT_SUB equal steps, so a bucket is
 * at most 1/16 (6.25%) of its values wide.
 */
#define GEN_LAT_SUB_BITS 4
#define GEN_LAT_SUB (1u << GEN_LAT_SUB_BITS)
#define GEN_LAT_BUCKETS ((64 - GEN_LAT_SUB_BITS + 1) * GEN_LAT_SUB)

struct gen_lat {
	uint64_t hist[GEN_LAT_BUCKETS];
	uint64_t n;
	uint64_t min;
	uint64_t max;
	uint64_t sum;
};

static inline void
gen_lat_init(struct gen_lat *l)
{
	memset(l, 0, sizeof(*l));
	l->min = UINT64_MAX;
}

static inline unsigned int
gen_lat_bucket(uint64_t v)
{
	unsigned int e;

	if (v < GEN_LAT_SUB)
		return (unsigned int)v;
	e = 63 - (unsigned int)__builtin_clzll(v); /* >= GEN_LAT_SUB_BITS */
	return (e - GEN_LAT_SUB_BITS + 1) * GEN_LAT_SUB +
	       (unsigned int)((v >> (e - GEN_LAT_SUB_BITS)) & (GEN_LAT_SUB - 1));
}

/* The smallest value of bucket b; bucket b + 1 starts where it ends. */
static inline double
gen_lat_bucket_low(unsigned int b)
{
	unsigned int e;

	if (b < GEN_LAT_SUB)
		return b;
	e = b / GEN_LAT_SUB + GEN_LAT_SUB_BITS - 1;
	return ldexp((double)(GEN_LAT_SUB + b % GEN_LAT_SUB),
		     (int)(e - GEN_LAT_SUB_BITS));
}

static inline void
gen_lat_record(struct gen_lat *l, uint64_t v)
{
	l->hist[gen_lat_bucket(v)]++;
	l->n++;
	l->sum += v;
	if (v < l->min)
		l->min = v;
	if (v > l->max)
		l->max = v;
}

/*
 * The q-quantile (0 < q <= 1): the middle of the bucket that holds the
 * ceil(q * n)-th smallest value, kept within [min, max] so that quantiles
 * never cross the exact extremes; the largest rank is the max itself. 0
 * when nothing was recorded.
 */
static inline double
gen_lat_quantile(const struct gen_lat *l, double q)
{
	uint64_t rank, seen = 0;

	if (l->n == 0)
		return 0;
	rank = (uint64_t)ceil(q * (double)l->n);
	if (rank == 0)
		rank = 1;
	if (rank >= l->n)
		return (double)l->max; /* known exactly */
	for (unsigned int b = 0; b < GEN_LAT_BUCKETS; b++) {
		seen += l->hist[b];
		if (seen >= rank) {
			double mid = b < GEN_LAT_SUB ? b :
				(gen_lat_bucket_low(b) + gen_lat_bucket_low(b + 1)) / 2;

			if (mid > (double)l->max)
				mid = (double)l->max;
			if (mid < (double)l->min)
				mid = (double)l->min;
			return mid;
		}
	}
	return (double)l->max;
}

#endif /* VS_GEN_STATS_H */
