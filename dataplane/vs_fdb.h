/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The vhostswitch authors
 */

/*
 * The forwarding database of the L2 learning bridge: MAC address -> port.
 *
 * Layout: a power-of-two array of 64-byte buckets, each one cache line with
 * five 64-bit slots, their five last-seen times and the bucket's lock, so
 * that learning a known station (lookup, then refresh of its time) touches
 * one line, which a prefetch can bring in ahead of time. A slot holds the
 * whole entry in one word (valid and static flags, port index, 48-bit MAC),
 * so a reader sees an entry either entirely or not at all with a single
 * relaxed load, and lookups take no lock.
 *
 * Each MAC has two candidate buckets (two unrelated hashes, below). A new
 * entry goes to the first while that has two free slots or more, so that
 * nearly every lookup reads one line, and to the less loaded one (ties to
 * the first) after that. At four slots per allowed entry a first bucket
 * holds four entries for under 4% of MACs even with the table at
 * max_entries, and with the overflow going to the emptier of two buckets, a
 * full pair takes adversarial MACs, not bad luck; max_entries itself is
 * enforced exactly. An entry never moves between buckets, so removing it is
 * a single store of zero and needs no tombstones.
 *
 * Writers (workers learning a new station or a move; the control thread
 * adding static entries, ageing, flushing) lock the MAC's buckets, lower
 * index first, with per-bucket spinlocks. Workers only ever try the locks:
 * when the control thread holds one, the worker skips learning that one
 * frame (counted as learn_busy) and learns from the next, so a preempted
 * control thread never stalls traffic.
 *
 * Last-seen times are seconds of a coarse clock that the control thread
 * advances; a worker refreshes a slot's time only when it differs, so a
 * steady flow costs one read, not one write, per frame.
 */
#ifndef VS_FDB_H
#define VS_FDB_H

#include <assert.h>
#include <stdbool.h>
#include <stdint.h>

#include <rte_branch_prediction.h>
#include <rte_common.h>
#include <rte_hash_crc.h>
#include <rte_prefetch.h>
#include <rte_spinlock.h>

#define VS_FDB_BUCKET_SLOTS 5
#define VS_FDB_MAX_ENTRIES (1u << 22)
#define VS_FDB_DEFAULT_ENTRIES 65536
#define VS_FDB_DEFAULT_AGING 300

#define VS_MAC_MASK 0x0000ffffffffffffULL
#define VS_FDB_VALID (1ULL << 63)
#define VS_FDB_STATIC (1ULL << 62)
#define VS_FDB_PORT_SHIFT 48
#define VS_FDB_PORT_MASK 0x3fffu

/* Outcome of one learning attempt. */
enum vs_fdb_learn_result {
	VS_FDB_LEARN_HIT,    /* known at this port; time refreshed */
	VS_FDB_LEARN_NEW,    /* new entry */
	VS_FDB_LEARN_MOVED,  /* station moved from another port */
	VS_FDB_LEARN_STATIC, /* a static entry points elsewhere: left alone */
	VS_FDB_LEARN_FULL,   /* max_entries reached or both buckets full */
	VS_FDB_LEARN_BUSY,   /* a bucket is locked by the control thread */
};

/* Counters of learning events. Any writer: atomic add; readers: ro. */
struct vs_fdb_stats {
	uint64_t learned;
	uint64_t moved;
	uint64_t aged;
	uint64_t learn_full;
	uint64_t learn_busy;
	uint64_t static_conflict;
};

struct __rte_cache_aligned vs_fdb_bucket {
	uint64_t slots[VS_FDB_BUCKET_SLOTS]; /* all threads: read relaxed */
	uint32_t seen[VS_FDB_BUCKET_SLOTS];  /* any thread: relaxed store */
	rte_spinlock_t lock;                 /* writers of slots */
};

static_assert(sizeof(struct vs_fdb_bucket) == RTE_CACHE_LINE_SIZE,
	      "a bucket is one cache line");

struct vs_fdb {
	struct vs_fdb_bucket *buckets;
	uint32_t bucket_mask;
	uint8_t hash1_shift; /* 64 - log2(buckets), at most 63 */
	uint32_t max_entries;
	uint32_t n_entries; /* writers under a bucket lock: atomic add */
	uint32_t now;       /* coarse clock in seconds. control: wo; workers: ro */
	uint32_t aging;     /* seconds. control: rw */
	struct vs_fdb_stats stats;
};

/* Converts the 6 bytes of a MAC address into the key (byte 0 lowest). */
static inline uint64_t
vs_mac_from_bytes(const uint8_t *b)
{
	return (uint64_t)b[0] | (uint64_t)b[1] << 8 | (uint64_t)b[2] << 16 |
	       (uint64_t)b[3] << 24 | (uint64_t)b[4] << 32 | (uint64_t)b[5] << 40;
}

static inline void
vs_mac_to_bytes(uint64_t mac, uint8_t *b)
{
	for (int i = 0; i < 6; i++)
		b[i] = (uint8_t)(mac >> (8 * i));
}

/*
 * Creates a table that holds at most max_entries entries (1 to
 * VS_FDB_MAX_ENTRIES). Returns NULL and sets errno on failure.
 */
struct vs_fdb *vs_fdb_create(uint32_t max_entries);
void vs_fdb_free(struct vs_fdb *fdb);

/*
 * The two bucket hashes. They must be unrelated: CRC-32 is linear, so two
 * CRCs of the same MAC with different seeds differ by a constant, and
 * would pair every bucket with one fixed partner. The second is a
 * multiplicative (Fibonacci) hash instead.
 */
#define VS_FDB_CRC_SEED 0x9e3779b9u
#define VS_FDB_MUL 0x9e3779b97f4a7c15ULL

static inline uint32_t
vs_fdb_hash0(uint64_t mac)
{
	return rte_hash_crc_8byte(mac, VS_FDB_CRC_SEED);
}

/* The top bits of the product: they depend on every bit of the MAC. */
static inline uint32_t
vs_fdb_hash1(const struct vs_fdb *fdb, uint64_t mac)
{
	return (uint32_t)((mac * VS_FDB_MUL) >> fdb->hash1_shift);
}

/* mac's first bucket: where it nearly always is. */
static inline uint32_t
vs_fdb_bucket0(const struct vs_fdb *fdb, uint64_t mac)
{
	return vs_fdb_hash0(mac) & fdb->bucket_mask;
}

static inline void
vs_fdb_buckets_of(const struct vs_fdb *fdb, uint64_t mac, uint32_t b[2])
{
	b[0] = vs_fdb_bucket0(fdb, mac);
	b[1] = vs_fdb_hash1(fdb, mac) & fdb->bucket_mask;
	if (b[1] == b[0])
		b[1] = b[0] ^ (1u & fdb->bucket_mask);
}

/* Index of mac's slot in bucket bk, its entry word in *entry; or -1. */
static inline int
vs_fdb_find_in(const struct vs_fdb_bucket *bk, uint64_t mac, uint64_t *entry)
{
	uint64_t want = mac | VS_FDB_VALID;

	for (int i = 0; i < VS_FDB_BUCKET_SLOTS; i++) {
		uint64_t e = __atomic_load_n(&bk->slots[i], __ATOMIC_RELAXED);

		if ((e & (VS_FDB_VALID | VS_MAC_MASK)) == want) {
			*entry = e;
			return i;
		}
	}
	return -1;
}

/*
 * Finds mac: returns its bucket and stores the slot index in *slot and the
 * entry word in *entry, or returns NULL. Lock-free: any thread.
 */
static inline struct vs_fdb_bucket *
vs_fdb_find_bucket(const struct vs_fdb *fdb, uint64_t mac, int *slot,
		   uint64_t *entry)
{
	uint32_t b[2];

	vs_fdb_buckets_of(fdb, mac, b);
	for (int k = 0; k < 2; k++) {
		struct vs_fdb_bucket *bk = &fdb->buckets[b[k]];

		*slot = vs_fdb_find_in(bk, mac, entry);
		if (*slot >= 0)
			return bk;
	}
	return NULL;
}

static inline uint16_t
vs_fdb_entry_port(uint64_t entry)
{
	return (uint16_t)((entry >> VS_FDB_PORT_SHIFT) & VS_FDB_PORT_MASK);
}

/*
 * Finds mac; returns its slot number and stores the entry word in *entry,
 * or returns -1. Lock-free: any thread.
 */
static inline int32_t
vs_fdb_find(const struct vs_fdb *fdb, uint64_t mac, uint64_t *entry)
{
	const struct vs_fdb_bucket *bk;
	int i;

	bk = vs_fdb_find_bucket(fdb, mac, &i, entry);
	if (bk == NULL)
		return -1;
	return (int32_t)((bk - fdb->buckets) * VS_FDB_BUCKET_SLOTS + i);
}

/*
 * Starts loading the first bucket of mac, where it nearly always is, so
 * that a lookup a few frames later finds it in cache: with a table larger
 * than the cache, the lookups of a burst then wait for memory about once,
 * not once each.
 */
static inline void
vs_fdb_prefetch(const struct vs_fdb *fdb, uint64_t mac)
{
	rte_prefetch0(&fdb->buckets[vs_fdb_bucket0(fdb, mac)]);
}

/* Returns the port index that mac was learned on, or -1. Any thread. */
static inline int
vs_fdb_lookup(const struct vs_fdb *fdb, uint64_t mac)
{
	uint64_t e;

	if (vs_fdb_find(fdb, mac, &e) < 0)
		return -1;
	return vs_fdb_entry_port(e);
}

/* The slow half of vs_fdb_learn(): insert, move, or report why not. */
enum vs_fdb_learn_result vs_fdb_learn_slow(struct vs_fdb *fdb, uint64_t mac,
					   uint16_t port, uint32_t now);

/*
 * Records that mac was seen on port at time now. Workers call this for
 * every frame's source address; a known station costs one lookup.
 */
static inline enum vs_fdb_learn_result
vs_fdb_learn(struct vs_fdb *fdb, uint64_t mac, uint16_t port, uint32_t now)
{
	struct vs_fdb_bucket *bk;
	uint64_t e;
	int i;

	bk = vs_fdb_find_bucket(fdb, mac, &i, &e);
	if (likely(bk != NULL && vs_fdb_entry_port(e) == port)) {
		if (__atomic_load_n(&bk->seen[i], __ATOMIC_RELAXED) != now)
			__atomic_store_n(&bk->seen[i], now, __ATOMIC_RELAXED);
		return VS_FDB_LEARN_HIT;
	}
	return vs_fdb_learn_slow(fdb, mac, port, now);
}

/*
 * Control-plane operations. They take bucket locks and may wait for them.
 * Return 0 or a negative errno.
 */

/* Adds or replaces a static entry (never aged, never moved by learning). */
int vs_fdb_add_static(struct vs_fdb *fdb, uint64_t mac, uint16_t port);

/* Removes mac; -ENOENT when absent. */
int vs_fdb_del(struct vs_fdb *fdb, uint64_t mac);

/* Removes dynamic entries not seen for fdb->aging seconds; returns count. */
unsigned int vs_fdb_age(struct vs_fdb *fdb);

/*
 * Removes entries of one port (port >= 0) or of all ports (port < 0).
 * Static entries go too only when with_static. Returns the count removed.
 */
unsigned int vs_fdb_flush(struct vs_fdb *fdb, int port, bool with_static);

/* Advances the coarse clock read by workers. */
static inline void
vs_fdb_set_time(struct vs_fdb *fdb, uint32_t now)
{
	__atomic_store_n(&fdb->now, now, __ATOMIC_RELAXED);
}

static inline uint32_t
vs_fdb_time(const struct vs_fdb *fdb)
{
	return __atomic_load_n(&fdb->now, __ATOMIC_RELAXED);
}

static inline uint32_t
vs_fdb_count(const struct vs_fdb *fdb)
{
	return __atomic_load_n(&fdb->n_entries, __ATOMIC_RELAXED);
}

/* One entry as the walker reports it. */
struct vs_fdb_entry {
	uint64_t mac;
	uint16_t port;
	bool is_static;
	uint32_t age; /* seconds since last seen */
};

/*
 * Calls fn for every entry, in table order, until fn returns non-zero.
 * Lock-free snapshot: entries changing during the walk may be missed.
 * Returns the number of entries visited.
 */
unsigned int vs_fdb_walk(const struct vs_fdb *fdb,
			 int (*fn)(const struct vs_fdb_entry *e, void *arg),
			 void *arg);

#endif /* VS_FDB_H */
