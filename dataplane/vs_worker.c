/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The vhostswitch authors
 */

/*
 * The worker: a pinned lcore that loops over its rx queues.
 *
 *   1. for every assigned queue: transmit what other workers handed over
 *      through the queue's ring, then poll the queue for a burst of up to
 *      VS_BURST frames;
 *   2. run each burst through the L2 learning bridge (or a cross-connect)
 *      into per-(port, queue) output buffers; a full buffer goes out at once;
 *   3. flush every output buffer still holding frames;
 *   4. report an RCU quiescent state: from here on, the worker holds no
 *      port, device or configuration pointer it read before.
 *
 * Ownership (DESIGN.md invariant 1): the worker that polls rx queue q of a
 * port also owns tx queue q of that port. A frame for a queue this worker
 * does not own goes into that queue's multi-producer ring, which only the
 * owner drains. The owner itself sends straight to the port, except while
 * its ring still holds frames: then its frames queue behind them, so that
 * when a queue changes owner no flow is reordered.
 *
 * Output buffers are flushed at the end of every pass rather than on a
 * timer: a pass over all queues is already the batching window, and no
 * frame ever waits across a quiescent point, which is what lets a port
 * leave without leaking the frames queued for it.
 */

#include <errno.h>
#include <string.h>

#include <rte_branch_prediction.h>
#include <rte_byteorder.h>
#include <rte_cycles.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_prefetch.h>

#include "vs_dp_internal.h"
#include "vs_flow.h"
#include "vs_l2.h"
#include "vs_offload.h"

#define VS_PREFETCH_AHEAD 3

/*
 * From this many FDB entries on, the bridge reads a burst's addresses in
 * a first pass and prefetches their buckets (bridge_prefetch); below, the
 * table's lines touched stay in the core's cache.
 */
#define VS_BRIDGE_PREFETCH_MIN 4096

static inline void
ctr_add(uint64_t *ctr, uint64_t v)
{
	/* Single writer: a plain read-modify-write that readers load whole. */
	__atomic_store_n(ctr, *ctr + v, __ATOMIC_RELAXED);
}

static inline void
drop(struct vs_worker *w, uint16_t port_index, enum vs_drop reason,
     struct rte_mbuf *m)
{
	ctr_add(&w->ctrs[port_index].drops[reason], 1);
	rte_pktmbuf_free(m);
}

/*
 * Drops the frames longer than the port's MTU allows, compacting the rest
 * in place; returns how many remain and adds the dropped bytes to *bytes.
 * Only ports with a limit pay for it. A segmentation request is measured
 * by the segments it becomes.
 */
static uint16_t
mtu_filter(struct vs_worker *w, struct vs_port *port, struct rte_mbuf **pkts,
	   uint16_t n, uint64_t *bytes)
{
	uint32_t max = port->max_frame;
	uint16_t k = 0;

	for (uint16_t i = 0; i < n; i++) {
		if (likely(pkts[i]->pkt_len <= max) ||
		    ((pkts[i]->ol_flags & RTE_MBUF_F_TX_TCP_SEG) &&
		     vs_offload_wire_len(pkts[i]) <= max)) {
			pkts[k++] = pkts[i];
		} else {
			*bytes += pkts[i]->pkt_len;
			drop(w, port->index, VS_DROP_MTU_EXCEEDED, pkts[i]);
		}
	}
	return k;
}

/*
 * Transmits up to VS_BURST frames on (port, q), which is up, and counts
 * the outcome. A port with a tx queue per worker gets this worker's queue
 * instead of q.
 */
static void
port_send(struct vs_worker *w, struct vs_port *port, uint16_t q,
	  struct rte_mbuf **pkts, uint16_t n)
{
	struct vs_port_counters *c = &w->ctrs[port->index];
	uint32_t lens[VS_BURST];
	uint64_t bytes = 0;
	uint16_t sent, devq;

	if (unlikely(port->max_frame != 0)) {
		uint64_t ignored = 0;

		n = mtu_filter(w, port, pkts, n, &ignored);
		if (n == 0)
			return;
	}
	devq = (port->flags & VS_PORT_F_TXQ_PER_WORKER) ? (uint16_t)w->id : q;
	if (unlikely(__atomic_load_n(&port->tx_offloads, __ATOMIC_RELAXED) != 0) &&
	    port->ops->tx_prepare != NULL) {
		uint16_t ok = port->ops->tx_prepare(port, devq, pkts, n);

		for (uint16_t i = ok; i < n; i++)
			drop(w, port->index, VS_DROP_TX_REFUSED, pkts[i]);
		n = ok;
		if (n == 0)
			return;
	}
	for (uint16_t i = 0; i < n; i++) {
		lens[i] = pkts[i]->pkt_len;
		bytes += lens[i];
	}
	sent = port->ops->tx_burst(port, devq, pkts, n);
	/* The mbufs are gone: what was sent is counted from their lengths. */
	if (unlikely(sent < n)) {
		bytes = 0;
		for (uint16_t i = 0; i < sent; i++)
			bytes += lens[i];
	}
	ctr_add(&c->tx_packets, sent);
	ctr_add(&c->tx_bytes, bytes);
	ctr_add(&w->qctrs[port->index][q].tx_packets, sent);
	if (unlikely(sent < n)) {
		/* A queue the guest just disabled refuses all: not a full ring. */
		bool enabled = (__atomic_load_n(&port->txq_mask, __ATOMIC_RELAXED) >> q) & 1;

		ctr_add(&c->drops[enabled ? VS_DROP_TX_FULL : VS_DROP_NOT_READY],
			n - sent);
	}
}

/*
 * A private copy of a shared frame, for work that writes to it: the
 * other ports a flooded frame goes to must see it as it came. Consumes
 * one reference of m; NULL when the pool is empty.
 */
static struct rte_mbuf *
make_private(struct rte_mbuf *m)
{
	struct rte_mbuf *c;

	if (rte_mbuf_refcnt_read(m) == 1 && RTE_MBUF_DIRECT(m))
		return m;
	c = rte_pktmbuf_copy(m, m->pool, 0, UINT32_MAX);
	rte_pktmbuf_free(m);
	return c;
}

/* Adds one frame to an output batch, sending the batch when it is full. */
static inline void
batch_add(struct vs_worker *w, struct vs_port *port, uint16_t q,
	  struct rte_mbuf **batch, uint16_t *k, struct rte_mbuf *m)
{
	batch[(*k)++] = m;
	if (*k == VS_BURST) {
		port_send(w, port, q, batch, *k);
		*k = 0;
	}
}

/*
 * Sends a burst in which some frames ask for checksum or segmentation
 * work (vs_offload.h): the port gets what it can do itself, the rest is
 * done here first. Every frame is sent, or freed and counted, once;
 * segments are sent in batches of VS_BURST.
 */
static __rte_noinline void
port_tx_offload(struct vs_worker *w, struct vs_port *port, uint16_t q,
		struct rte_mbuf **pkts, uint16_t n)
{
	struct vs_port_counters *c = &w->ctrs[port->index];
	uint32_t caps = __atomic_load_n(&port->tx_offloads, __ATOMIC_RELAXED);
	struct rte_mbuf *segs[VS_OL_GSO_MAX_SEGS];
	struct rte_mbuf *batch[VS_BURST];
	uint16_t k = 0;

	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		uint32_t need;
		int ret;

		if (likely(!(m->ol_flags & VS_OL_TX_MASK))) {
			batch_add(w, port, q, batch, &k, m);
			continue;
		}
		/* Too long even in segments: nothing to cut it for. */
		if (port->max_frame != 0 && vs_offload_wire_len(m) > port->max_frame) {
			drop(w, port->index, VS_DROP_MTU_EXCEEDED, m);
			continue;
		}
		need = vs_offload_need(m, caps);
		/* rte_vhost only rewrites what it read; a NIC's prepare may write more. */
		if (need == 0 && port->kind == VS_PORT_KIND_VHOST) {
			batch_add(w, port, q, batch, &k, m);
			continue;
		}
		m = make_private(m);
		if (unlikely(m == NULL)) {
			ctr_add(&c->drops[need & VS_OL_NEED_GSO ? VS_DROP_GSO_FAILED :
					  VS_DROP_BAD_OFFLOAD], 1);
			continue;
		}
		if (need & VS_OL_NEED_GSO) {
			ret = vs_offload_segment(m, caps, segs, RTE_DIM(segs));
			if (unlikely(ret < 0)) {
				drop(w, port->index, ret == -ENOMEM ? VS_DROP_GSO_FAILED :
				     VS_DROP_BAD_OFFLOAD, m);
				continue;
			}
			if (ret > 1 || segs[0] != m)
				ctr_add(&c->tx_sw_gso, 1);
			if (need & VS_OL_NEED_CSUM)
				ctr_add(&c->tx_sw_csum, (uint64_t)ret);
			for (int s = 0; s < ret; s++)
				batch_add(w, port, q, batch, &k, segs[s]);
			continue;
		}
		if (need & VS_OL_NEED_CSUM) {
			if (unlikely(vs_offload_sw_csum(m) != 0)) {
				drop(w, port->index, VS_DROP_BAD_OFFLOAD, m);
				continue;
			}
			ctr_add(&c->tx_sw_csum, 1);
		}
		batch_add(w, port, q, batch, &k, m);
	}
	if (k > 0)
		port_send(w, port, q, batch, k);
}

/*
 * Transmits up to VS_BURST frames on (port, q). Frames asking for
 * offload work take the slow path; the others cost one test per frame.
 */
static void
port_tx(struct vs_worker *w, struct vs_port *port, uint16_t q,
	struct rte_mbuf **pkts, uint16_t n)
{
	uint64_t ol = 0;

	if (unlikely(!vs_port_is_up(port))) {
		rte_pktmbuf_free_bulk(pkts, n);
		ctr_add(&w->ctrs[port->index].drops[VS_DROP_NOT_READY], n);
		return;
	}
	for (uint16_t i = 0; i < n; i++)
		ol |= pkts[i]->ol_flags;
	if (unlikely(ol & VS_OL_TX_MASK))
		port_tx_offload(w, port, q, pkts, n);
	else
		port_send(w, port, q, pkts, n);
}

/* Hands frames to the worker that owns (port, q), through its ring. */
static void
ring_handoff(struct vs_worker *w, struct vs_port *port, uint16_t q,
	     struct rte_mbuf **pkts, uint16_t n)
{
	struct rte_ring *r = vs_dp.rings[port->index][q];
	unsigned int k = rte_ring_mp_enqueue_burst(r, (void **)pkts, n, NULL);

	if (unlikely(k < n)) {
		rte_pktmbuf_free_bulk(pkts + k, n - k);
		ctr_add(&w->ctrs[port->index].drops[VS_DROP_RING_FULL], n - k);
	}
}

/* Sends frames for (port, q) the way ownership says. */
static inline void
output(struct vs_worker *w, const struct vs_dp_conf *conf, struct vs_port *port,
       uint16_t q, struct rte_mbuf **pkts, uint16_t n)
{
	if (likely(!conf->rings) || (port->flags & VS_PORT_F_TXQ_PER_WORKER) ||
	    (conf->owner[port->index][q] == (int8_t)w->id &&
	     rte_ring_empty(vs_dp.rings[port->index][q])))
		port_tx(w, port, q, pkts, n);
	else
		ring_handoff(w, port, q, pkts, n);
}

/*
 * Transmits what other workers handed over for a queue this one owns.
 * Returns the cycles it spent, 0 when the ring was empty; *now becomes
 * the time it finished.
 */
static uint64_t
ring_drain(struct vs_worker *w, struct vs_port *port, uint16_t q, uint64_t *now)
{
	struct rte_ring *r = vs_dp.rings[port->index][q];
	struct rte_mbuf *pkts[VS_BURST];
	uint64_t t0, t1;

	if (rte_ring_empty(r))
		return 0;
	t0 = rte_rdtsc();
	/* Bounded, like the rx side: one busy sender cannot starve the rest. */
	for (int i = 0; i < VS_RING_DRAIN_MAX; i++) {
		unsigned int n = rte_ring_sc_dequeue_burst(r, (void **)pkts,
							   VS_BURST, NULL);

		if (n == 0)
			break;
		port_tx(w, port, q, pkts, (uint16_t)n);
	}
	t1 = rte_rdtsc();
	*now = t1;
	return t1 - t0;
}

static inline void
txbuf_flush(struct vs_worker *w, const struct vs_dp_conf *conf,
	    struct vs_txbuf *tb, uint16_t q)
{
	uint16_t n = tb->n;

	tb->n = 0;
	output(w, conf, tb->port, q, tb->pkts, n);
}

/* The output buffer of (port, q), on the worker's dirty list. */
static inline struct vs_txbuf *
txbuf_get(struct vs_worker *w, struct vs_port *port, uint16_t q)
{
	uint16_t id = VS_TXBUF_ID(port->index, q);
	struct vs_txbuf *tb = &w->txbufs[id];

	if (!tb->queued) {
		tb->queued = true;
		tb->port = port;
		w->dirty[w->n_dirty++] = id;
	}
	return tb;
}

static inline void
txbuf_add(struct vs_worker *w, const struct vs_dp_conf *conf,
	  struct vs_port *port, uint16_t q, struct rte_mbuf *m)
{
	struct vs_txbuf *tb = txbuf_get(w, port, q);

	tb->pkts[tb->n++] = m;
	if (unlikely(tb->n == VS_BURST))
		txbuf_flush(w, conf, tb, q);
}

/* Queues frames for (port, q) in order, sending each full buffer. */
static inline void
txbuf_add_bulk(struct vs_worker *w, const struct vs_dp_conf *conf,
	       struct vs_port *port, uint16_t q, struct rte_mbuf **pkts, uint16_t n)
{
	struct vs_txbuf *tb = txbuf_get(w, port, q);

	while (n > 0) {
		uint16_t c = RTE_MIN(n, (uint16_t)(VS_BURST - tb->n));

		memcpy(&tb->pkts[tb->n], pkts, c * sizeof(*pkts));
		tb->n += c;
		pkts += c;
		n -= c;
		if (tb->n == VS_BURST)
			txbuf_flush(w, conf, tb, q);
	}
}

/*
 * Outputs a run of consecutive frames of a burst that go to the same
 * (port, q). A run of at least half a burst, with nothing queued for that
 * queue before it, goes out as it is; a shorter one waits in the queue's
 * buffer for more, so that many small runs still make whole bursts.
 */
static inline void
run_output(struct vs_worker *w, const struct vs_dp_conf *conf,
	   struct vs_port *port, uint16_t q, struct rte_mbuf **pkts, uint16_t n)
{
	if (n == 0)
		return;
	if (n >= VS_BURST / 2 && w->txbufs[VS_TXBUF_ID(port->index, q)].n == 0)
		output(w, conf, port, q, pkts, n);
	else
		txbuf_add_bulk(w, conf, port, q, pkts, n);
}

static void
flush_all(struct vs_worker *w, const struct vs_dp_conf *conf)
{
	for (uint16_t i = 0; i < w->n_dirty; i++) {
		struct vs_txbuf *tb = &w->txbufs[w->dirty[i]];

		if (tb->n > 0)
			txbuf_flush(w, conf, tb, w->dirty[i] % VS_PORT_QUEUES_MAX);
		tb->queued = false;
	}
	w->n_dirty = 0;
}

/*
 * The tx queue of port for a frame: with several enabled queues, the one
 * its flow hashes to, so a flow keeps its order; otherwise queue 0.
 */
static inline uint16_t
pick_txq(const struct vs_port *port, struct rte_mbuf *m, uint32_t *hash,
	 bool *hashed)
{
	uint32_t mask = __atomic_load_n(&port->txq_mask, __ATOMIC_RELAXED);

	if (likely(mask <= 1))
		return 0;
	if (!*hashed) {
		*hash = vs_flow_hash(rte_pktmbuf_mtod(m, const uint8_t *),
				     rte_pktmbuf_data_len(m));
		*hashed = true;
	}
	return vs_flow_pick(*hash, mask);
}

/*
 * Sends one frame to every up port but its ingress. The copies share the
 * mbuf: output only reads it, and each port's free drops one reference.
 */
static void
flood(struct vs_worker *w, const struct vs_dp_conf *conf,
      const struct vs_port *in, struct rte_mbuf *m)
{
	struct vs_port *outs[VS_MAX_PORTS];
	bool hashed = false;
	uint32_t hash = 0;
	uint16_t k = 0;

	for (uint16_t i = 0; i < conf->n_ports; i++) {
		struct vs_port *p = conf->ports[i];

		if (p != in && vs_port_is_up(p))
			outs[k++] = p;
	}
	if (unlikely(k == 0)) {
		drop(w, in->index, VS_DROP_NO_DEST, m);
		return;
	}
	if (k > 1)
		rte_pktmbuf_refcnt_update(m, (int16_t)(k - 1));
	for (uint16_t i = 0; i < k; i++)
		txbuf_add(w, conf, outs[i], pick_txq(outs[i], m, &hash, &hashed), m);
}

static inline uint64_t
load_mac(const uint8_t *p)
{
	uint64_t v;

	/* Reads 8 bytes; callers guarantee 14 readable bytes from the frame. */
	memcpy(&v, p, sizeof(v));
	return rte_le_to_cpu_64(v) & VS_MAC_MASK;
}

/* Prefetches the first frames' headers of a burst. */
static inline void
prefetch_headers(struct rte_mbuf **pkts, uint16_t n)
{
	for (uint16_t i = 0; i < VS_PREFETCH_AHEAD && i < n; i++)
		rte_prefetch0(rte_pktmbuf_mtod(pkts[i], void *));
}

/* At frame i, prefetches the header VS_PREFETCH_AHEAD frames on. */
static inline void
prefetch_header_ahead(struct rte_mbuf **pkts, uint16_t n, uint16_t i)
{
	if (i + VS_PREFETCH_AHEAD < n)
		rte_prefetch0(rte_pktmbuf_mtod(pkts[i + VS_PREFETCH_AHEAD], void *));
}

/*
 * Reads the addresses of a burst's frames into src/dst and starts loading
 * the FDB bucket of each new address, so that the lookups that follow
 * overlap their cache misses instead of waiting for them one by one.
 * A runt's addresses are left unread: the second pass drops it first.
 * With cold headers the caller has prefetched the first ones.
 */
static inline void
bridge_prefetch(const struct vs_fdb *fdb, struct rte_mbuf **pkts, uint16_t n,
		bool cold, uint64_t *src, uint64_t *dst)
{
	uint64_t last_src = UINT64_MAX, last_dst = UINT64_MAX;

	for (uint16_t i = 0; i < n; i++) {
		const struct rte_mbuf *m = pkts[i];
		const uint8_t *frame = rte_pktmbuf_mtod(m, const uint8_t *);

		if (cold)
			prefetch_header_ahead(pkts, n, i);
		if (unlikely(m->data_len < VS_ETH_HDR_LEN))
			continue;
		dst[i] = load_mac(frame);
		src[i] = load_mac(frame + 6);
		if (src[i] != last_src) {
			vs_fdb_prefetch(fdb, src[i]);
			last_src = src[i];
		}
		if (dst[i] != last_dst) {
			if (!vs_mac_is_multicast(dst[i]))
				vs_fdb_prefetch(fdb, dst[i]);
			last_dst = dst[i];
		}
	}
}

/*
 * The common burst: every frame whole and from one station to one, known
 * on another single-queue port. Such a burst is learned and looked up
 * once and sent as it came, with one compare of its addresses per frame.
 * Returns false, leaving the burst untouched, for any other; *learned is
 * then the source already learned from it (UINT64_MAX: none), so that the
 * general path does not learn it twice.
 */
static inline bool
bridge_uniform(struct vs_worker *w, const struct vs_dp_conf *conf,
	       struct vs_port *in, struct rte_mbuf **pkts, uint16_t n,
	       uint32_t now, bool cold, uint64_t *learned)
{
	const uint8_t *f0 = rte_pktmbuf_mtod(pkts[0], const uint8_t *);
	uint64_t src, dst, bytes = pkts[0]->pkt_len;
	struct vs_port_counters *ic;
	struct vs_port *p;
	uint16_t out = 0;

	if (unlikely(pkts[0]->data_len < VS_ETH_HDR_LEN))
		return false;
	dst = load_mac(f0);
	src = load_mac(f0 + 6);
	/* The loop starts at frame 1: frame 0's look-ahead is issued here. */
	if (cold)
		prefetch_header_ahead(pkts, n, 0);
	for (uint16_t i = 1; i < n; i++) {
		const struct rte_mbuf *m = pkts[i];
		const uint8_t *f = rte_pktmbuf_mtod(m, const uint8_t *);

		if (cold)
			prefetch_header_ahead(pkts, n, i);
		if (unlikely(m->data_len < VS_ETH_HDR_LEN) ||
		    load_mac(f) != dst || load_mac(f + 6) != src)
			return false;
		bytes += m->pkt_len;
	}
	if (unlikely(!vs_mac_is_valid_src(src)))
		return false;
	vs_fdb_learn(w->fdb, src, in->index, now);
	*learned = src;
	if (vs_l2_decide(w->fdb, dst, in->index, &out) != VS_L2_FORWARD)
		return false;
	p = conf->by_index[out];
	if (unlikely(p == NULL) || __atomic_load_n(&p->txq_mask, __ATOMIC_RELAXED) > 1)
		return false;
	run_output(w, conf, p, 0, pkts, n);
	ic = &w->ctrs[in->index];
	ctr_add(&ic->rx_packets, n);
	ctr_add(&ic->rx_bytes, bytes);
	return true;
}

/*
 * The L2 learning bridge over one burst from port in. Consecutive frames
 * usually share addresses, so the last source and the last decision are
 * remembered and the FDB is consulted once per change. Frames forwarded
 * to the same (port, queue) one after another form a run, kept in place
 * at the front of pkts and output whole (run_output), rather than
 * buffered one by one: the common burst, from one station to one, is then
 * sent as it came.
 */
static void
bridge_input(struct vs_worker *w, const struct vs_dp_conf *conf,
	     struct vs_port *in, struct rte_mbuf **pkts, uint16_t n, uint32_t now)
{
	struct vs_port_counters *ic = &w->ctrs[in->index];
	uint64_t last_src = UINT64_MAX, last_dst = UINT64_MAX;
	/* A small table stays in cache: then the first pass only costs. */
	const bool big = vs_fdb_count(w->fdb) >= VS_BRIDGE_PREFETCH_MIN;
	/* Headers a port copied in are in cache already. */
	const bool cold = !(in->flags & VS_PORT_F_RX_COPIED);
	uint64_t srcs[VS_BURST], dsts[VS_BURST];
	enum vs_l2_action action = VS_L2_FLOOD;
	struct vs_port *run_port = NULL;
	uint16_t run_q = 0, run_start = 0, k = 0;
	uint16_t out = 0;
	uint64_t bytes = 0;

	if (cold)
		prefetch_headers(pkts, n);
	if (n > 1 && bridge_uniform(w, conf, in, pkts, n, now, cold, &last_src))
		return;
	if (big)
		bridge_prefetch(w->fdb, pkts, n, cold, srcs, dsts);
	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		uint64_t src, dst;

		/* With the first pass, the headers were read already. */
		if (cold && !big)
			prefetch_header_ahead(pkts, n, i);
		bytes += m->pkt_len;
		if (unlikely(m->data_len < VS_ETH_HDR_LEN)) {
			drop(w, in->index, VS_DROP_RUNT, m);
			continue;
		}
		if (big) {
			src = srcs[i];
			dst = dsts[i];
		} else {
			const uint8_t *frame = rte_pktmbuf_mtod(m, const uint8_t *);

			dst = load_mac(frame);
			src = load_mac(frame + 6);
		}
		if (src != last_src) {
			enum vs_fdb_learn_result r;

			if (unlikely(!vs_mac_is_valid_src(src))) {
				drop(w, in->index, VS_DROP_BAD_SRC_MAC, m);
				continue;
			}
			r = vs_fdb_learn(w->fdb, src, in->index, now);
			last_src = src;
			/* A new or moved station may be this burst's destination. */
			if (unlikely(r != VS_FDB_LEARN_HIT))
				last_dst = UINT64_MAX;
		}
		if (dst != last_dst) {
			action = vs_l2_decide(w->fdb, dst, in->index, &out);
			last_dst = dst;
		}

		if (likely(action == VS_L2_FORWARD)) {
			struct vs_port *p = conf->by_index[out];
			bool hashed = false;
			uint32_t hash;
			uint16_t q;

			/* An entry may outlive its port by one quiescent period. */
			if (unlikely(p == NULL)) {
				drop(w, in->index, VS_DROP_NOT_READY, m);
				continue;
			}
			q = pick_txq(p, m, &hash, &hashed);
			if (p != run_port || q != run_q) {
				if (run_port != NULL)
					run_output(w, conf, run_port, run_q, pkts + run_start,
						   k - run_start);
				run_port = p;
				run_q = q;
				run_start = k;
			}
			/* Frames are only ever moved towards the front. */
			pkts[k++] = m;
			continue;
		}
		/* A flood may go to the run's queue too: the run goes first. */
		if (run_port != NULL) {
			run_output(w, conf, run_port, run_q, pkts + run_start, k - run_start);
			run_port = NULL;
		}
		if (action == VS_L2_FLOOD)
			flood(w, conf, in, m);
		else
			drop(w, in->index, VS_DROP_SAME_PORT, m);
	}
	if (run_port != NULL)
		run_output(w, conf, run_port, run_q, pkts + run_start, k - run_start);
	ctr_add(&ic->rx_packets, n);
	ctr_add(&ic->rx_bytes, bytes);
}

/*
 * A cross-connect is a wire: the burst goes to the peer as it came, with
 * no per-frame work but counting bytes (and, towards a multiqueue peer,
 * hashing flows onto its queues).
 */
static void
xconnect_input(struct vs_worker *w, const struct vs_dp_conf *conf,
	       struct vs_port *peer, struct vs_port *in,
	       struct rte_mbuf **pkts, uint16_t n)
{
	struct vs_port_counters *ic = &w->ctrs[in->index];
	uint64_t bytes = 0;

	for (uint16_t i = 0; i < n; i++)
		bytes += pkts[i]->pkt_len;
	ctr_add(&ic->rx_packets, n);
	ctr_add(&ic->rx_bytes, bytes);
	if (likely(__atomic_load_n(&peer->txq_mask, __ATOMIC_RELAXED) <= 1)) {
		output(w, conf, peer, 0, pkts, n);
		return;
	}
	for (uint16_t i = 0; i < n; i++) {
		bool hashed = false;
		uint32_t hash;

		txbuf_add(w, conf, peer, pick_txq(peer, pkts[i], &hash, &hashed),
			  pkts[i]);
	}
}

int
vs_worker_main(void *arg)
{
	struct vs_worker *w = arg;
	uint64_t prev;

	rte_rcu_qsbr_thread_register(w->qsbr, w->id);
	rte_rcu_qsbr_thread_online(w->qsbr, w->id);
	prev = rte_rdtsc();

	while (!__atomic_load_n(&vs_dp.stop, __ATOMIC_ACQUIRE)) {
		const struct vs_dp_conf *conf =
			__atomic_load_n(&vs_dp.conf, __ATOMIC_ACQUIRE);
		const struct vs_worker_conf *wc = &conf->workers[w->id];
		const struct vs_rxq *rxqs = &conf->rxqs[wc->first];
		uint32_t now = vs_fdb_time(w->fdb);
		uint64_t pkts = 0, work = 0, t;
		/*
		 * The time last read, and whether it still marks where the next
		 * queue's work begins. Reading the TSC costs tens of cycles, so a
		 * queue that follows work starts at that work's end; one that
		 * follows an empty poll reads the clock itself, so that no
		 * queue is charged for another's empty poll.
		 */
		uint64_t last = prev;
		bool fresh = true;

		for (uint16_t i = 0; i < wc->n_rxq; i++) {
			struct vs_port *port = rxqs[i].port;
			uint16_t q = rxqs[i].qid;
			struct vs_port *peer;
			uint64_t t0, cost;
			uint16_t n;

			if (conf->rings && !(port->flags & VS_PORT_F_TXQ_PER_WORKER)) {
				cost = ring_drain(w, port, q, &last);
				if (cost != 0) {
					work += cost;
					fresh = true;
				}
			}
			if (!vs_port_is_up(port) || !vs_port_rxq_enabled(port, q))
				continue;
			t0 = fresh ? last : rte_rdtsc();
			n = port->ops->rx_burst(port, q, w->rx_pkts, VS_BURST);
			if (n == 0) {
				fresh = false;
				continue;
			}
			pkts += n;
			/*
			 * A NIC may hand over frames longer than its MTU (af_packet
			 * even cuts them to its slot size): none goes further.
			 */
			if (unlikely(port->max_frame != 0)) {
				uint64_t bytes = 0;
				uint16_t k = mtu_filter(w, port, w->rx_pkts, n, &bytes);

				/* Received, then dropped: counted as both. */
				if (k < n) {
					ctr_add(&w->ctrs[port->index].rx_packets, n - k);
					ctr_add(&w->ctrs[port->index].rx_bytes, bytes);
				}
				n = k;
			}
			/* When all were too long, their cost still counts below. */
			if (likely(n > 0)) {
				peer = conf->xconnect[port->index];
				if (unlikely(peer != NULL))
					xconnect_input(w, conf, peer, port, w->rx_pkts, n);
				else
					bridge_input(w, conf, port, w->rx_pkts, n, now);
			}
			/* What this queue cost, for load-based placement. */
			last = rte_rdtsc();
			fresh = true;
			cost = last - t0;
			work += cost;
			ctr_add(&w->qctrs[port->index][q].rx_packets, n);
			ctr_add(&w->qctrs[port->index][q].rx_cycles, cost);
		}
		if (w->n_dirty) {
			uint64_t t_flush = fresh ? last : rte_rdtsc();

			flush_all(w, conf);
			last = rte_rdtsc();
			fresh = true;
			work += last - t_flush;
		}
		rte_rcu_qsbr_quiescent(w->qsbr, w->id);

		/*
		 * A turn that ended with work ends at that work's end; one that
		 * read no time at all (nothing to poll) reads it now.
		 */
		t = fresh && last != prev ? last : rte_rdtsc();
		/* Transmitting what other workers handed over is work too. */
		if (pkts || work) {
			ctr_add(&w->stats.busy_cycles, t - prev);
			ctr_add(&w->stats.work_cycles, work);
			ctr_add(&w->stats.packets, pkts);
		} else {
			ctr_add(&w->stats.idle_cycles, t - prev);
		}
		ctr_add(&w->stats.iterations, 1);
		prev = t;
	}

	rte_rcu_qsbr_thread_offline(w->qsbr, w->id);
	rte_rcu_qsbr_thread_unregister(w->qsbr, w->id);
	return 0;
}
