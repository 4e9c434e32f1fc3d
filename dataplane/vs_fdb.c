/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The vhostswitch authors
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "vs_fdb.h"

static uint32_t
next_pow2(uint32_t v)
{
	uint32_t p = 1;

	while (p < v)
		p <<= 1;
	return p;
}

#define HUGE_2M (2u << 20)

/*
 * The bucket array, zeroed; from 2 MiB up, aligned and sized to 2 MiB so
 * that transparent huge pages can back all of it: workers touch random
 * lines of it for every frame, and with 4 KiB pages most of those touches
 * would also miss the TLB. (Not from the hugetlbfs pool: that belongs to
 * the packet pools.)
 */
static struct vs_fdb_bucket *
buckets_alloc(size_t bytes)
{
	bool huge = bytes >= HUGE_2M;
	size_t len = huge ? RTE_ALIGN_CEIL(bytes, HUGE_2M) : bytes;
	void *p;

	if (posix_memalign(&p, huge ? HUGE_2M : RTE_CACHE_LINE_SIZE, len) != 0)
		return NULL;
	if (huge)
		(void)madvise(p, len, MADV_HUGEPAGE);
	memset(p, 0, len);
	return p;
}

struct vs_fdb *
vs_fdb_create(uint32_t max_entries)
{
	struct vs_fdb *fdb;
	uint32_t n_buckets;
	size_t bucket_bytes;

	if (max_entries == 0 || max_entries > VS_FDB_MAX_ENTRIES) {
		errno = EINVAL;
		return NULL;
	}
	/* Four slots per entry and two choices: a full pair takes intent. */
	n_buckets = next_pow2((max_entries * 4 + VS_FDB_BUCKET_SLOTS - 1) /
			      VS_FDB_BUCKET_SLOTS);

	fdb = calloc(1, sizeof(*fdb));
	if (fdb == NULL)
		return NULL;
	bucket_bytes = (size_t)n_buckets * sizeof(struct vs_fdb_bucket);
	fdb->buckets = buckets_alloc(bucket_bytes);
	if (fdb->buckets == NULL)
		goto fail;
	for (uint32_t i = 0; i < n_buckets; i++)
		rte_spinlock_init(&fdb->buckets[i].lock);
	fdb->bucket_mask = n_buckets - 1;
	fdb->hash1_shift = (uint8_t)(64 - RTE_MAX(rte_log2_u32(n_buckets), 1u));
	fdb->max_entries = max_entries;
	fdb->aging = VS_FDB_DEFAULT_AGING;
	fdb->now = 1;
	return fdb;
fail:
	vs_fdb_free(fdb);
	errno = ENOMEM;
	return NULL;
}

void
vs_fdb_free(struct vs_fdb *fdb)
{
	if (fdb == NULL)
		return;
	free(fdb->buckets);
	free(fdb);
}

static inline void
stat_inc(uint64_t *ctr)
{
	__atomic_fetch_add(ctr, 1, __ATOMIC_RELAXED);
}

static inline uint64_t
make_entry(uint64_t mac, uint16_t port, bool is_static)
{
	return VS_FDB_VALID | (is_static ? VS_FDB_STATIC : 0) |
	       ((uint64_t)(port & VS_FDB_PORT_MASK) << VS_FDB_PORT_SHIFT) |
	       (mac & VS_MAC_MASK);
}

static inline bool
slot_has(uint64_t e, uint64_t mac)
{
	return (e & (VS_FDB_VALID | VS_MAC_MASK)) == (VS_FDB_VALID | mac);
}

/* Reserves room for one more entry, or fails when the table is at max. */
static bool
reserve_entry(struct vs_fdb *fdb)
{
	uint32_t n = __atomic_load_n(&fdb->n_entries, __ATOMIC_RELAXED);

	do {
		if (n >= fdb->max_entries)
			return false;
	} while (!__atomic_compare_exchange_n(&fdb->n_entries, &n, n + 1, false,
					      __ATOMIC_RELAXED, __ATOMIC_RELAXED));
	return true;
}

static void
release_entry(struct vs_fdb *fdb)
{
	__atomic_fetch_sub(&fdb->n_entries, 1, __ATOMIC_RELAXED);
}

/* Locks the buckets of a MAC, lower index first; workers only try. */
static bool
pair_lock(struct vs_fdb *fdb, const uint32_t b[2], bool try_only)
{
	uint32_t lo = RTE_MIN(b[0], b[1]), hi = RTE_MAX(b[0], b[1]);

	if (!try_only) {
		rte_spinlock_lock(&fdb->buckets[lo].lock);
		if (hi != lo)
			rte_spinlock_lock(&fdb->buckets[hi].lock);
		return true;
	}
	if (!rte_spinlock_trylock(&fdb->buckets[lo].lock))
		return false;
	if (hi != lo && !rte_spinlock_trylock(&fdb->buckets[hi].lock)) {
		rte_spinlock_unlock(&fdb->buckets[lo].lock);
		return false;
	}
	return true;
}

static void
pair_unlock(struct vs_fdb *fdb, const uint32_t b[2])
{
	rte_spinlock_unlock(&fdb->buckets[b[0]].lock);
	if (b[1] != b[0])
		rte_spinlock_unlock(&fdb->buckets[b[1]].lock);
}

/* Returns the slot of mac in bucket b, or -1; caller holds b's lock. */
static int
bucket_slot_of(const struct vs_fdb *fdb, uint32_t b, uint64_t mac)
{
	for (unsigned int i = 0; i < VS_FDB_BUCKET_SLOTS; i++)
		if (slot_has(fdb->buckets[b].slots[i], mac))
			return (int)i;
	return -1;
}

/* Returns the first free slot of bucket b and its free count in *n_free. */
static int
bucket_free_slot(const struct vs_fdb *fdb, uint32_t b, unsigned int *n_free)
{
	int first = -1;

	*n_free = 0;
	for (unsigned int i = 0; i < VS_FDB_BUCKET_SLOTS; i++) {
		if (!(fdb->buckets[b].slots[i] & VS_FDB_VALID)) {
			if (first < 0)
				first = (int)i;
			(*n_free)++;
		}
	}
	return first;
}

/*
 * Inserts or updates mac in one of its buckets b, whose locks the caller
 * holds. Static entries are only replaced when is_static (an operator's
 * command).
 */
static enum vs_fdb_learn_result
pair_store(struct vs_fdb *fdb, const uint32_t b[2], uint64_t mac,
	   uint16_t port, bool is_static, uint32_t now)
{
	uint64_t want = make_entry(mac, port, is_static);
	unsigned int free0, free1;
	int s0, s1;

	for (int k = 0; k < 2; k++) {
		int i = bucket_slot_of(fdb, b[k], mac);
		uint64_t *slot;

		if (i < 0)
			continue;
		slot = &fdb->buckets[b[k]].slots[i];
		if ((*slot & VS_FDB_STATIC) && !is_static)
			return vs_fdb_entry_port(*slot) == port ?
				VS_FDB_LEARN_HIT : VS_FDB_LEARN_STATIC;
		__atomic_store_n(&fdb->buckets[b[k]].seen[i], now,
				 __ATOMIC_RELAXED);
		if (*slot == want)
			return VS_FDB_LEARN_HIT;
		__atomic_store_n(slot, want, __ATOMIC_RELEASE);
		return VS_FDB_LEARN_MOVED;
	}

	/*
	 * New: the first bucket while it has room to spare, so that nearly
	 * every lookup reads one line (the one the workers prefetch); near
	 * full, the less loaded of the two, ties to the first.
	 */
	s0 = bucket_free_slot(fdb, b[0], &free0);
	s1 = b[1] != b[0] ? bucket_free_slot(fdb, b[1], &free1) : -1;
	if (s1 < 0)
		free1 = 0;
	if (s0 < 0 && s1 < 0)
		return VS_FDB_LEARN_FULL;
	if (!reserve_entry(fdb))
		return VS_FDB_LEARN_FULL;
	{
		bool first = free0 >= 2 || free0 >= free1;
		uint32_t bk = first ? b[0] : b[1];
		int i = first ? s0 : s1;

		__atomic_store_n(&fdb->buckets[bk].seen[i], now,
				 __ATOMIC_RELAXED);
		__atomic_store_n(&fdb->buckets[bk].slots[i], want, __ATOMIC_RELEASE);
	}
	return VS_FDB_LEARN_NEW;
}

enum vs_fdb_learn_result
vs_fdb_learn_slow(struct vs_fdb *fdb, uint64_t mac, uint16_t port, uint32_t now)
{
	enum vs_fdb_learn_result res;
	uint32_t b[2];

	vs_fdb_buckets_of(fdb, mac, b);
	if (!pair_lock(fdb, b, true)) {
		stat_inc(&fdb->stats.learn_busy);
		return VS_FDB_LEARN_BUSY;
	}
	res = pair_store(fdb, b, mac, port, false, now);
	pair_unlock(fdb, b);

	switch (res) {
	case VS_FDB_LEARN_NEW:
		stat_inc(&fdb->stats.learned);
		break;
	case VS_FDB_LEARN_MOVED:
		stat_inc(&fdb->stats.moved);
		break;
	case VS_FDB_LEARN_FULL:
		stat_inc(&fdb->stats.learn_full);
		break;
	case VS_FDB_LEARN_STATIC:
		stat_inc(&fdb->stats.static_conflict);
		break;
	default:
		break;
	}
	return res;
}

int
vs_fdb_add_static(struct vs_fdb *fdb, uint64_t mac, uint16_t port)
{
	enum vs_fdb_learn_result res;
	uint32_t b[2];

	if (port > VS_FDB_PORT_MASK || (mac & ~VS_MAC_MASK) != 0)
		return -EINVAL;
	vs_fdb_buckets_of(fdb, mac, b);
	pair_lock(fdb, b, false);
	res = pair_store(fdb, b, mac, port, true, vs_fdb_time(fdb));
	pair_unlock(fdb, b);
	return res == VS_FDB_LEARN_FULL ? -ENOSPC : 0;
}

int
vs_fdb_del(struct vs_fdb *fdb, uint64_t mac)
{
	int ret = -ENOENT;
	uint32_t b[2];

	vs_fdb_buckets_of(fdb, mac, b);
	pair_lock(fdb, b, false);
	for (int k = 0; k < 2 && ret != 0; k++) {
		int i = bucket_slot_of(fdb, b[k], mac);

		if (i >= 0) {
			__atomic_store_n(&fdb->buckets[b[k]].slots[i], 0,
					 __ATOMIC_RELEASE);
			release_entry(fdb);
			ret = 0;
		}
	}
	pair_unlock(fdb, b);
	return ret;
}

/* Removes, in bucket b, every entry that match() selects. */
static unsigned int
bucket_remove_if(struct vs_fdb *fdb, uint32_t b,
		 bool (*match)(const struct vs_fdb *fdb, uint64_t e,
			       uint32_t seen, const void *arg),
		 const void *arg)
{
	struct vs_fdb_bucket *bk = &fdb->buckets[b];
	uint64_t *slots = bk->slots;
	unsigned int removed = 0;
	bool any = false;

	/* Look without the lock first: most buckets have nothing to remove. */
	for (unsigned int i = 0; i < VS_FDB_BUCKET_SLOTS && !any; i++) {
		uint64_t e = __atomic_load_n(&slots[i], __ATOMIC_RELAXED);

		any = (e & VS_FDB_VALID) &&
		      match(fdb, e, __atomic_load_n(&bk->seen[i], __ATOMIC_RELAXED),
			    arg);
	}
	if (!any)
		return 0;

	rte_spinlock_lock(&fdb->buckets[b].lock);
	for (unsigned int i = 0; i < VS_FDB_BUCKET_SLOTS; i++) {
		uint64_t e = slots[i];

		if ((e & VS_FDB_VALID) &&
		    match(fdb, e, __atomic_load_n(&bk->seen[i], __ATOMIC_RELAXED),
			  arg)) {
			__atomic_store_n(&slots[i], 0, __ATOMIC_RELEASE);
			release_entry(fdb);
			removed++;
		}
	}
	rte_spinlock_unlock(&fdb->buckets[b].lock);
	return removed;
}

static bool
match_aged(const struct vs_fdb *fdb, uint64_t e, uint32_t seen,
	   const void *arg __rte_unused)
{
	return !(e & VS_FDB_STATIC) && vs_fdb_time(fdb) - seen >= fdb->aging;
}

unsigned int
vs_fdb_age(struct vs_fdb *fdb)
{
	unsigned int removed = 0;

	for (uint32_t b = 0; b <= fdb->bucket_mask; b++)
		removed += bucket_remove_if(fdb, b, match_aged, NULL);
	__atomic_fetch_add(&fdb->stats.aged, removed, __ATOMIC_RELAXED);
	return removed;
}

struct flush_arg {
	int port;
	bool with_static;
};

static bool
match_flush(const struct vs_fdb *fdb __rte_unused, uint64_t e,
	    uint32_t seen __rte_unused, const void *arg)
{
	const struct flush_arg *fa = arg;

	if ((e & VS_FDB_STATIC) && !fa->with_static)
		return false;
	return fa->port < 0 || vs_fdb_entry_port(e) == fa->port;
}

unsigned int
vs_fdb_flush(struct vs_fdb *fdb, int port, bool with_static)
{
	struct flush_arg fa = { .port = port, .with_static = with_static };
	unsigned int removed = 0;

	for (uint32_t b = 0; b <= fdb->bucket_mask; b++)
		removed += bucket_remove_if(fdb, b, match_flush, &fa);
	return removed;
}

unsigned int
vs_fdb_walk(const struct vs_fdb *fdb,
	    int (*fn)(const struct vs_fdb_entry *e, void *arg), void *arg)
{
	uint32_t now = vs_fdb_time(fdb);
	unsigned int visited = 0;

	for (uint32_t b = 0; b <= fdb->bucket_mask; b++) {
		for (unsigned int i = 0; i < VS_FDB_BUCKET_SLOTS; i++) {
			uint64_t e = __atomic_load_n(&fdb->buckets[b].slots[i],
						     __ATOMIC_RELAXED);
			struct vs_fdb_entry ent;

			if (!(e & VS_FDB_VALID))
				continue;
			ent.mac = e & VS_MAC_MASK;
			ent.port = vs_fdb_entry_port(e);
			ent.is_static = (e & VS_FDB_STATIC) != 0;
			ent.age = now - __atomic_load_n(&fdb->buckets[b].seen[i],
							__ATOMIC_RELAXED);
			visited++;
			if (fn(&ent, arg) != 0)
				return visited;
		}
	}
	return visited;
}
