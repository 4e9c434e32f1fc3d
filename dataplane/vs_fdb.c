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
	/* Four slots per entry keeps the chance of a full home bucket tiny. */
	n_buckets = next_pow2((max_entries * 4 + VS_FDB_BUCKET_SLOTS - 1) /
			      VS_FDB_BUCKET_SLOTS);

	fdb = calloc(1, sizeof(*fdb));
	if (fdb == NULL)
		return NULL;
	bucket_bytes = (size_t)n_buckets * sizeof(struct vs_fdb_bucket);
	if (posix_memalign((void **)&fdb->buckets, RTE_CACHE_LINE_SIZE,
			   bucket_bytes) != 0)
		goto fail;
	memset(fdb->buckets, 0, bucket_bytes);
	/* Large tables benefit from transparent huge pages (fewer TLB misses). */
	(void)madvise(fdb->buckets, bucket_bytes, MADV_HUGEPAGE);
	fdb->seen = calloc((size_t)n_buckets * VS_FDB_BUCKET_SLOTS,
			   sizeof(*fdb->seen));
	fdb->locks = calloc(n_buckets, sizeof(*fdb->locks));
	if (fdb->seen == NULL || fdb->locks == NULL)
		goto fail;
	for (uint32_t i = 0; i < n_buckets; i++)
		rte_spinlock_init(&fdb->locks[i]);
	fdb->bucket_mask = n_buckets - 1;
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
	free(fdb->seen);
	free(fdb->locks);
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

/*
 * Inserts or updates mac in bucket b, whose lock the caller holds.
 * Static entries are only replaced when is_static (an operator's command).
 */
static enum vs_fdb_learn_result
bucket_store(struct vs_fdb *fdb, uint32_t b, uint64_t mac, uint16_t port,
	     bool is_static, uint32_t now)
{
	uint64_t *slots = fdb->buckets[b].slots;
	uint32_t base = b * VS_FDB_BUCKET_SLOTS;
	int free_slot = -1;

	for (unsigned int i = 0; i < VS_FDB_BUCKET_SLOTS; i++) {
		uint64_t e = slots[i];

		if (slot_has(e, mac)) {
			if ((e & VS_FDB_STATIC) && !is_static)
				return vs_fdb_entry_port(e) == port ?
					VS_FDB_LEARN_HIT : VS_FDB_LEARN_STATIC;
			__atomic_store_n(&fdb->seen[base + i], now, __ATOMIC_RELAXED);
			if (e == make_entry(mac, port, is_static))
				return VS_FDB_LEARN_HIT;
			__atomic_store_n(&slots[i], make_entry(mac, port, is_static),
					 __ATOMIC_RELEASE);
			return VS_FDB_LEARN_MOVED;
		}
		if (!(e & VS_FDB_VALID) && free_slot < 0)
			free_slot = (int)i;
	}
	if (free_slot < 0 || !reserve_entry(fdb))
		return VS_FDB_LEARN_FULL;
	__atomic_store_n(&fdb->seen[base + free_slot], now, __ATOMIC_RELAXED);
	__atomic_store_n(&slots[free_slot], make_entry(mac, port, is_static),
			 __ATOMIC_RELEASE);
	return VS_FDB_LEARN_NEW;
}

enum vs_fdb_learn_result
vs_fdb_learn_slow(struct vs_fdb *fdb, uint64_t mac, uint16_t port, uint32_t now)
{
	uint32_t b = vs_fdb_bucket_of(fdb, mac);
	enum vs_fdb_learn_result res;

	if (!rte_spinlock_trylock(&fdb->locks[b])) {
		stat_inc(&fdb->stats.learn_busy);
		return VS_FDB_LEARN_BUSY;
	}
	res = bucket_store(fdb, b, mac, port, false, now);
	rte_spinlock_unlock(&fdb->locks[b]);

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
	uint32_t b = vs_fdb_bucket_of(fdb, mac);
	enum vs_fdb_learn_result res;

	if (port > VS_FDB_PORT_MASK || (mac & ~VS_MAC_MASK) != 0)
		return -EINVAL;
	rte_spinlock_lock(&fdb->locks[b]);
	res = bucket_store(fdb, b, mac, port, true, vs_fdb_time(fdb));
	rte_spinlock_unlock(&fdb->locks[b]);
	return res == VS_FDB_LEARN_FULL ? -ENOSPC : 0;
}

int
vs_fdb_del(struct vs_fdb *fdb, uint64_t mac)
{
	uint32_t b = vs_fdb_bucket_of(fdb, mac);
	uint64_t *slots = fdb->buckets[b].slots;
	int ret = -ENOENT;

	rte_spinlock_lock(&fdb->locks[b]);
	for (unsigned int i = 0; i < VS_FDB_BUCKET_SLOTS; i++) {
		if (slot_has(slots[i], mac)) {
			__atomic_store_n(&slots[i], 0, __ATOMIC_RELEASE);
			release_entry(fdb);
			ret = 0;
			break;
		}
	}
	rte_spinlock_unlock(&fdb->locks[b]);
	return ret;
}

/* Removes, in bucket b, every entry that match() selects. */
static unsigned int
bucket_remove_if(struct vs_fdb *fdb, uint32_t b,
		 bool (*match)(const struct vs_fdb *fdb, uint64_t e, uint32_t slot,
			       const void *arg),
		 const void *arg)
{
	uint64_t *slots = fdb->buckets[b].slots;
	uint32_t base = b * VS_FDB_BUCKET_SLOTS;
	unsigned int removed = 0;
	bool any = false;

	/* Look without the lock first: most buckets have nothing to remove. */
	for (unsigned int i = 0; i < VS_FDB_BUCKET_SLOTS && !any; i++) {
		uint64_t e = __atomic_load_n(&slots[i], __ATOMIC_RELAXED);

		any = (e & VS_FDB_VALID) && match(fdb, e, base + i, arg);
	}
	if (!any)
		return 0;

	rte_spinlock_lock(&fdb->locks[b]);
	for (unsigned int i = 0; i < VS_FDB_BUCKET_SLOTS; i++) {
		uint64_t e = slots[i];

		if ((e & VS_FDB_VALID) && match(fdb, e, base + i, arg)) {
			__atomic_store_n(&slots[i], 0, __ATOMIC_RELEASE);
			release_entry(fdb);
			removed++;
		}
	}
	rte_spinlock_unlock(&fdb->locks[b]);
	return removed;
}

static bool
match_aged(const struct vs_fdb *fdb, uint64_t e, uint32_t slot,
	   const void *arg __rte_unused)
{
	uint32_t seen = __atomic_load_n(&fdb->seen[slot], __ATOMIC_RELAXED);

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
	    uint32_t slot __rte_unused, const void *arg)
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
			uint32_t slot = b * VS_FDB_BUCKET_SLOTS + i;
			uint64_t e = __atomic_load_n(&fdb->buckets[b].slots[i],
						     __ATOMIC_RELAXED);
			struct vs_fdb_entry ent;

			if (!(e & VS_FDB_VALID))
				continue;
			ent.mac = e & VS_MAC_MASK;
			ent.port = vs_fdb_entry_port(e);
			ent.is_static = (e & VS_FDB_STATIC) != 0;
			ent.age = now - __atomic_load_n(&fdb->seen[slot],
							__ATOMIC_RELAXED);
			visited++;
			if (fn(&ent, arg) != 0)
				return visited;
		}
	}
	return visited;
}
