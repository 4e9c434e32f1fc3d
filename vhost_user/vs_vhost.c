/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The vhostswitch authors
 */

#include <errno.h>
#include <limits.h>
#include <linux/virtio_net.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_ring.h>
#include <rte_vhost.h>

#include "vs_log.h"
#include "vs_offload.h"
#include "vs_vhost.h"

/* Vring numbering: vring 2q is the guest's rx (our tx), 2q+1 its tx. */
#define VS_VRING_GUEST_RX(q) ((uint16_t)((q) * 2))
#define VS_VRING_GUEST_TX(q) ((uint16_t)((q) * 2 + 1))

/*
 * What an idle packed queue is asked for first: one frame. (Four, one
 * batch of rte_vhost's, cost 120 cycles a poll against 85, in a turn over
 * 16 idle queues; a whole burst cost 420.)
 */
#define VS_VHOST_PACKED_PROBE 1

struct vs_vhost_queue {
	/* Written only by the worker that owns the queue. */
	uint64_t rx_nombuf;
	uint64_t rx_bad_offload; /* frames whose offload request we could not take */
	bool rx_idle;            /* its last poll found nothing (a hint) */
} __rte_cache_aligned;

struct vs_vhost_port {
	/* Event thread: wo before the port goes UP; workers: ro while UP. */
	int vid;
	struct rte_mempool *pool;
	const struct rte_ring *pool_ring; /* the pool's ring, if ring-backed */
	uint64_t features;     /* control: ro too */
	/* Event thread: wo; control: ro. */
	uint16_t vrings;
	uint32_t enabled_mask; /* bit i: vring i enabled */
	bool state_seen;       /* the guest sent vring enable/disable messages */
	int numa_node;
	/* Fixed at creation. */
	bool client;
	bool offload;          /* checksum and TSO offered to the guest */
	bool registered;
	uint16_t queues;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	struct vs_vhost_queue q[VS_PORT_QUEUES_MAX];
};

static struct rte_mempool *(*vhost_pool_for_node)(int node, bool *fallback);
static void (*vhost_quiesce)(void);

/* Queue masks of the port from the vrings' state: rx q = vring 2q+1. */
static void
publish_queue_masks(struct vs_port *port, uint32_t vrings_enabled)
{
	uint32_t rx = 0, tx = 0;

	for (uint16_t q = 0; q < port->nb_queues; q++) {
		if (vrings_enabled & (1u << VS_VRING_GUEST_TX(q)))
			rx |= 1u << q;
		if (vrings_enabled & (1u << VS_VRING_GUEST_RX(q)))
			tx |= 1u << q;
	}
	__atomic_store_n(&port->rxq_mask, rx, __ATOMIC_RELAXED);
	__atomic_store_n(&port->txq_mask, tx, __ATOMIC_RELAXED);
}

/*
 * With offloads on, a guest may send frames with a partial TCP or UDP
 * checksum (CSUM) and TCP/IPv4 frames of up to 64 KiB (HOST_TSO4), and
 * receive the same (GUEST_CSUM, GUEST_TSO4): the dataplane passes the
 * request through to a port that can do the work and does it in software
 * for one that cannot. TCP over IPv6 (TSO6), UDP fragmentation (UFO) and
 * ECN stay off: DPDK 22.11's GSO library cannot segment TCP/IPv6 or do
 * UFO in the way a guest expects, so no port could be guaranteed valid
 * frames. With offloads off the guest does all of it itself.
 * Multiqueue is offered only by ports that poll more than one queue pair,
 * so that a guest cannot put frames where nobody reads them.
 */
uint64_t
vs_vhost_disabled_features(bool offload)
{
	uint64_t never = (1ULL << VIRTIO_NET_F_GUEST_TSO6) | (1ULL << VIRTIO_NET_F_GUEST_ECN) |
			 (1ULL << VIRTIO_NET_F_GUEST_UFO) | (1ULL << VIRTIO_NET_F_HOST_TSO6) |
			 (1ULL << VIRTIO_NET_F_HOST_ECN) | (1ULL << VIRTIO_NET_F_HOST_UFO);

	if (offload)
		return never;
	return never | (1ULL << VIRTIO_NET_F_CSUM) | (1ULL << VIRTIO_NET_F_GUEST_CSUM) |
	       (1ULL << VIRTIO_NET_F_GUEST_TSO4) | (1ULL << VIRTIO_NET_F_HOST_TSO4);
}

/* The receive flags rte_vhost puts on a frame whose header asks for work. */
#define VS_VHOST_RX_OL_FLAGS (RTE_MBUF_F_RX_L4_CKSUM_MASK | RTE_MBUF_F_RX_LRO)

/*
 * The features under which rte_vhost reads a guest's virtio-net headers
 * at all: without one of them it sets no receive flag on any frame.
 */
#define VS_VHOST_HOST_OFFLOADS                                                 \
	((1ULL << VIRTIO_NET_F_CSUM) | (1ULL << VIRTIO_NET_F_HOST_ECN) |       \
	 (1ULL << VIRTIO_NET_F_HOST_TSO4) | (1ULL << VIRTIO_NET_F_HOST_TSO6) | \
	 (1ULL << VIRTIO_NET_F_HOST_UFO))

/*
 * Turns the guest's offload requests in a burst into the switch's tx
 * request (vs_offload.h); drops what cannot be completed. Returns the
 * burst's new length. Out of line: only offloading guests come here.
 */
static __rte_noinline uint16_t
rx_offloads(struct vs_vhost_port *vp, uint16_t qid, struct rte_mbuf **pkts,
	    uint16_t n)
{
	uint16_t k = 0;

	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];

		if ((m->ol_flags & VS_VHOST_RX_OL_FLAGS) &&
		    vs_offload_from_virtio(m) != 0) {
			__atomic_store_n(&vp->q[qid].rx_bad_offload,
					 vp->q[qid].rx_bad_offload + 1, __ATOMIC_RELAXED);
			rte_pktmbuf_free(m);
			continue;
		}
		pkts[k++] = m;
	}
	return k;
}

/*
 * True when fewer than n mbufs are left. The pool is a ring-backed mempool
 * (DPDK's default): reading its ring's count and this lcore's cache avoids
 * rte_mempool_avail_count(), which walks every lcore's cache.
 */
static inline bool
pool_nearly_empty(const struct vs_vhost_port *vp, uint16_t n)
{
	const struct rte_mempool_cache *cache =
		rte_mempool_default_cache(vp->pool, rte_lcore_id());
	unsigned int avail = cache != NULL ? cache->len : 0;

	/* The worker's own cache is in its L1; the pool's ring may not be. */
	if (avail >= n)
		return false;
	if (vp->pool_ring != NULL)
		avail += rte_ring_count(vp->pool_ring);
	else
		avail = rte_mempool_avail_count(vp->pool);
	return avail < n;
}

static uint16_t
vhost_rx_burst(struct vs_port *port, uint16_t qid, struct rte_mbuf **pkts,
	       uint16_t n)
{
	struct vs_vhost_port *vp = port->priv;
	struct vs_vhost_queue *vq = &vp->q[qid];
	uint16_t vring = VS_VRING_GUEST_TX(qid);
	bool idle = __atomic_load_n(&vq->rx_idle, __ATOMIC_RELAXED);
	uint16_t want = n, got;

	/*
	 * On a packed ring, rte_vhost (22.11) takes the mbufs it was asked
	 * for from the pool before it looks at the ring, and gives back what
	 * it did not fill: an empty poll for a whole burst costs a bulk get
	 * and a bulk put of 32 mbufs. A queue that was empty is asked for one
	 * frame first, and for the rest of the burst only when one came.
	 */
	if (((vp->features >> VIRTIO_F_RING_PACKED) & 1) && idle &&
	    n > VS_VHOST_PACKED_PROBE)
		want = VS_VHOST_PACKED_PROBE;
	got = rte_vhost_dequeue_burst(vp->vid, vring, vp->pool, pkts, want);
	if (got == want && want < n)
		got += rte_vhost_dequeue_burst(vp->vid, vring, vp->pool, pkts + got,
					       n - got);
	if ((got == 0) != idle)
		__atomic_store_n(&vq->rx_idle, got == 0, __ATOMIC_RELAXED);
	if (likely(got > 0)) {
		/*
		 * rte_vhost marks a frame whose virtio-net header asks for
		 * work with receive flags: one test per frame finds them.
		 * A guest that negotiated no host offload cannot ask.
		 */
		if (vp->offload && (vp->features & VS_VHOST_HOST_OFFLOADS)) {
			uint64_t any = 0;

			for (uint16_t i = 0; i < got; i++)
				any |= pkts[i]->ol_flags;
			if (unlikely(any & VS_VHOST_RX_OL_FLAGS))
				got = rx_offloads(vp, qid, pkts, got);
		}
		return got;
	}
	/*
	 * Nothing came. When the pool is nearly empty that is likely why:
	 * count the poll. (Asking the ring how much the guest has queued
	 * would wait on the ring's lock, which a worker must never do.)
	 */
	if (unlikely(pool_nearly_empty(vp, want)))
		__atomic_store_n(&vq->rx_nombuf, vq->rx_nombuf + 1, __ATOMIC_RELAXED);
	return 0;
}

/*
 * Frees a burst after its copy into the guest. Frames the switch received
 * from a guest or a NIC are plain: one segment, direct, one reference, all
 * from one pool. Such a burst goes back to the pool in one put, without
 * rte_pktmbuf_free_bulk()'s per-segment walk; any other takes that walk.
 */
static inline void
free_copied(struct rte_mbuf **pkts, uint16_t n)
{
	struct rte_mempool *mp;
	bool plain = true;

	if (n == 0)
		return;
	mp = pkts[0]->pool;
	for (uint16_t i = 0; i < n; i++) {
		const struct rte_mbuf *m = pkts[i];

		plain &= m->pool == mp && rte_mbuf_refcnt_read(m) == 1 &&
			 m->nb_segs == 1 && m->next == NULL && RTE_MBUF_DIRECT(m);
	}
	if (likely(plain))
		rte_mempool_put_bulk(mp, (void **)pkts, n);
	else
		rte_pktmbuf_free_bulk(pkts, n);
}

static uint16_t
vhost_tx_burst(struct vs_port *port, uint16_t qid, struct rte_mbuf **pkts,
	       uint16_t n)
{
	struct vs_vhost_port *vp = port->priv;
	uint16_t sent;

	/* The library copies into guest buffers; every mbuf stays ours. */
	sent = rte_vhost_enqueue_burst(vp->vid, VS_VRING_GUEST_RX(qid), pkts, n);
	free_copied(pkts, n);
	return sent;
}

static void
vhost_read_counters(const struct vs_port *port, struct vs_port_counters *acc)
{
	const struct vs_vhost_port *vp = port->priv;

	for (int q = 0; q < VS_PORT_QUEUES_MAX; q++) {
		acc->drops[VS_DROP_NO_MBUF] +=
			__atomic_load_n(&vp->q[q].rx_nombuf, __ATOMIC_RELAXED);
		acc->drops[VS_DROP_BAD_OFFLOAD] +=
			__atomic_load_n(&vp->q[q].rx_bad_offload, __ATOMIC_RELAXED);
	}
}

static void
vhost_destroy(struct vs_port *port)
{
	struct vs_vhost_port *vp = port->priv;

	if (vp->registered) {
		/* Tears down a connected guest through destroy_device first. */
		if (rte_vhost_driver_unregister(vp->path) != 0)
			VS_LOG(WARNING, "port %s: cannot unregister %s", port->name,
			       vp->path);
		vp->registered = false;
	}
	if (!vp->client)
		unlink(vp->path);
	vs_port_free(port);
}

static const struct vs_port_ops vhost_ops = {
	.rx_burst = vhost_rx_burst,
	.tx_burst = vhost_tx_burst,
	.read_counters = vhost_read_counters,
	.destroy = vhost_destroy,
};

static bool
match_path(const struct vs_port *port, void *arg)
{
	const struct vs_vhost_port *vp = port->priv;

	return port->kind == VS_PORT_KIND_VHOST && strcmp(vp->path, arg) == 0;
}

static struct vs_port *
port_by_path(const char *path)
{
	return vs_port_find(match_path, (void *)(uintptr_t)path);
}

struct vs_port *
vs_vhost_port_by_path(const char *path)
{
	return port_by_path(path);
}

void
vs_vhost_port_path(const struct vs_port *port, char *buf, size_t len)
{
	const struct vs_vhost_port *vp;

	if (len == 0)
		return;
	buf[0] = '\0';
	if (port == NULL || port->kind != VS_PORT_KIND_VHOST)
		return;
	vp = port->priv;
	snprintf(buf, len, "%s", vp->path);
}

static struct vs_port *
port_by_vid(int vid)
{
	char path[PATH_MAX];

	if (rte_vhost_get_ifname(vid, path, sizeof(path)) != 0)
		return NULL;
	return port_by_path(path);
}

static int
new_device(int vid)
{
	struct vs_port *port = port_by_vid(vid);
	struct vs_vhost_port *vp;
	uint64_t features = 0;
	bool fallback = false;
	uint16_t vrings;

	if (port == NULL) {
		VS_LOG(ERR, "new device %d on an unknown socket", vid);
		return -1;
	}
	vp = port->priv;
	/*
	 * A server socket accepts any number of connections, but a port is
	 * one guest: a second frontend on the same socket is refused, and the
	 * guest already attached keeps its traffic.
	 */
	if (vs_port_is_up(port)) {
		VS_LOG_RL(vs_logtype_config, WARNING,
			  "port %s: refused a second guest (vid %d) while vid %d is attached",
			  port->name, vid, vp->vid);
		return -1;
	}
	rte_vhost_get_negotiated_features(vid, &features);
	vrings = rte_vhost_get_vring_num(vid);
	/* Polled, never kicked: ask the guest not to notify us. */
	for (uint16_t i = 0; i < vrings; i++)
		rte_vhost_enable_guest_notification(vid, i, 0);
	if (vrings / 2 > port->nb_queues)
		VS_LOG(WARNING, "port %s: the guest set up %u queue pairs, the port polls %u: "
		       "add the port with 'queues %u' to use them all",
		       port->name, vrings / 2, port->nb_queues, vrings / 2);

	__atomic_store_n(&vp->vid, vid, __ATOMIC_RELAXED);
	__atomic_store_n(&vp->features, features, __ATOMIC_RELAXED);
	for (uint16_t q = 0; q < VS_PORT_QUEUES_MAX; q++)
		__atomic_store_n(&vp->q[q].rx_idle, false, __ATOMIC_RELAXED);
	/* What this guest takes as it is; the rest is done for it. */
	__atomic_store_n(&port->tx_offloads,
			 vp->offload ? vs_offload_caps_virtio(features) : 0, __ATOMIC_RELAXED);
	__atomic_store_n(&vp->vrings, vrings, __ATOMIC_RELAXED);
	/*
	 * Without vring enable messages (no protocol features), every ring
	 * the guest set up is live.
	 */
	if (!vp->state_seen)
		vp->enabled_mask = vrings >= 32 ? UINT32_MAX : (1u << vrings) - 1;
	publish_queue_masks(port, vp->enabled_mask);
	/* Frames from this guest live in mbufs on its memory's node. */
	__atomic_store_n(&vp->numa_node, rte_vhost_get_numa_node(vid), __ATOMIC_RELAXED);
	vp->pool = vhost_pool_for_node(vp->numa_node, &fallback);
	if (fallback)
		__atomic_fetch_add(&port->events.numa_fallbacks, 1, __ATOMIC_RELAXED);
	vp->pool_ring = strncmp(rte_mempool_get_ops(vp->pool->ops_index)->name,
				"ring_", 5) == 0 ? vp->pool->pool_data : NULL;
	__atomic_store_n(&port->numa_node, vp->numa_node, __ATOMIC_RELAXED);
	__atomic_fetch_add(&port->events.connects, 1, __ATOMIC_RELAXED);
	vs_port_set_state(port, VS_PORT_UP);
	VS_LOG(INFO, "port %s: guest attached (vid %d, %u vrings, features 0x%" PRIx64
	       ", NUMA node %d%s)", port->name, vid, vrings, features, vp->numa_node,
	       fallback ? ", mbufs from another node" : "");
	return 0;
}

static void
destroy_device(int vid)
{
	struct vs_port *port = port_by_vid(vid);
	struct vs_vhost_port *vp;

	if (port == NULL)
		return;
	vp = port->priv;
	if (vp->vid != vid)
		return;
	vs_port_set_state(port, VS_PORT_DOWN);
	/* DESIGN.md invariant 2: after we return, no worker uses vid. */
	vhost_quiesce();
	__atomic_fetch_add(&port->events.disconnects, 1, __ATOMIC_RELAXED);
	/*
	 * While we waited, new_device for another connection may have taken
	 * the port (unregistering runs this callback on the control thread,
	 * beside the event thread): then the port is no longer ours to reset.
	 */
	if (vs_port_is_up(port) || __atomic_load_n(&vp->vid, __ATOMIC_RELAXED) != vid)
		return;
	__atomic_store_n(&vp->vid, -1, __ATOMIC_RELAXED);
	vp->enabled_mask = 0;
	vp->state_seen = false;
	publish_queue_masks(port, 0);
	VS_LOG(INFO, "port %s: guest detached (vid %d)", port->name, vid);
}

static int
vring_state_changed(int vid, uint16_t queue_id, int enable)
{
	struct vs_port *port = port_by_vid(vid);
	struct vs_vhost_port *vp;

	if (port == NULL || queue_id >= 32)
		return 0;
	vp = port->priv;
	/* A refused second guest on the socket must not steer the first. */
	if (vs_port_is_up(port) && vp->vid != vid)
		return 0;
	if (enable)
		__atomic_fetch_or(&vp->enabled_mask, 1u << queue_id, __ATOMIC_RELAXED);
	else
		__atomic_fetch_and(&vp->enabled_mask, ~(1u << queue_id), __ATOMIC_RELAXED);
	vp->state_seen = true;
	/*
	 * While the port is up the workers follow the change at once: a
	 * disabled ring is neither polled nor chosen for transmission.
	 */
	if (vs_port_is_up(port))
		publish_queue_masks(port, vp->enabled_mask);
	__atomic_fetch_add(&port->events.vring_changes, 1, __ATOMIC_RELAXED);
	return 0;
}

static const struct rte_vhost_device_ops device_ops = {
	.new_device = new_device,
	.destroy_device = destroy_device,
	.vring_state_changed = vring_state_changed,
};

void
vs_vhost_init(struct rte_mempool *(*pool_for_node)(int node, bool *fallback),
	      void (*quiesce)(void))
{
	vhost_pool_for_node = pool_for_node;
	vhost_quiesce = quiesce;
}

int
vs_vhost_check_path(const char *path, bool client, char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char dir[sizeof(sa.sun_path)];
	struct stat st;
	char *slash;
	int fd, ret;

	if (path == NULL || path[0] == '\0' || strlen(path) >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "socket path must be 1 to %zu characters",
			 sizeof(sa.sun_path) - 1);
		return -EINVAL;
	}
	/* A client connects (and reconnects) wherever the VMM creates it. */
	if (client)
		return 0;
	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash != NULL) {
		*(slash == dir ? slash + 1 : slash) = '\0';
		if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
			snprintf(err, errlen, "directory %s does not exist", dir);
			return -ENOENT;
		}
	}
	if (lstat(path, &st) != 0)
		return 0;
	if (!S_ISSOCK(st.st_mode)) {
		snprintf(err, errlen, "%s exists and is not a socket", path);
		return -EEXIST;
	}
	/*
	 * A socket left behind by a crashed run makes bind() fail. If nobody
	 * answers on it, it is stale and may go; if somebody does, another
	 * process serves it.
	 */
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (fd < 0)
		return 0;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	ret = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	close(fd);
	if (ret == 0) {
		snprintf(err, errlen, "socket %s is in use by another process", path);
		return -EADDRINUSE;
	}
	return 0;
}

struct vs_port *
vs_vhost_port_create(const struct vs_vhost_params *params, char *err,
		     size_t errlen)
{
	uint64_t flags = RTE_VHOST_USER_NET_COMPLIANT_OL_FLAGS;
	struct vs_vhost_port *vp;
	struct vs_port *port;
	int ret;

	if (params->queues < 1 || params->queues > VS_PORT_QUEUES_MAX) {
		snprintf(err, errlen, "queues must be 1 to %d", VS_PORT_QUEUES_MAX);
		rte_errno = EINVAL;
		return NULL;
	}
	if (port_by_path(params->path) != NULL) {
		snprintf(err, errlen, "socket %s is already used by another port",
			 params->path);
		rte_errno = EEXIST;
		return NULL;
	}
	ret = vs_vhost_check_path(params->path, params->client, err, errlen);
	if (ret < 0) {
		rte_errno = -ret;
		return NULL;
	}
	if (!params->client)
		unlink(params->path); /* stale: nobody answered on it */

	port = vs_port_alloc(params->name, VS_PORT_KIND_VHOST, &vhost_ops,
			     sizeof(*vp));
	if (port == NULL) {
		if (rte_errno == ENOSPC)
			snprintf(err, errlen, "too many ports (at most %d)", VS_MAX_PORTS);
		else
			snprintf(err, errlen, "%s",
				 rte_errno == EEXIST ? "a port with this name exists" :
				 rte_errno == EINVAL ? "bad port name (1-31 of A-Z a-z 0-9 _ - .)" :
				 "out of memory");
		return NULL;
	}
	vp = port->priv;
	vp->vid = -1;
	vp->numa_node = -1;
	vp->client = params->client;
	vp->queues = params->queues;
	vp->offload = !params->no_offload;
	port->nb_queues = params->queues;
	port->flags = VS_PORT_F_RX_COPIED; /* rte_vhost copies each frame in */
	snprintf(vp->path, sizeof(vp->path), "%s", params->path);

	/* In client mode rte_vhost reconnects unless told NO_RECONNECT. */
	if (params->client)
		flags |= RTE_VHOST_USER_CLIENT;
	if (rte_vhost_driver_register(vp->path, flags) != 0) {
		snprintf(err, errlen, "cannot register vhost-user socket %s", vp->path);
		goto fail;
	}
	vp->registered = true;
	if (rte_vhost_driver_disable_features(vp->path,
					      vs_vhost_disabled_features(vp->offload) |
					      (params->queues == 1 ? 1ULL << VIRTIO_NET_F_MQ : 0)) != 0 ||
	    rte_vhost_driver_callback_register(vp->path, &device_ops) != 0) {
		snprintf(err, errlen, "cannot configure vhost-user socket %s",
			 vp->path);
		goto fail;
	}
	if (rte_vhost_driver_start(vp->path) != 0) {
		snprintf(err, errlen, "cannot start vhost-user socket %s", vp->path);
		goto fail;
	}
	VS_LOG(INFO, "port %s: vhost-user %s %s", port->name,
	       params->client ? "client of" : "server on", vp->path);
	return port;
fail:
	vhost_destroy(port);
	rte_errno = EIO;
	return NULL;
}

int
vs_vhost_port_info(const struct vs_port *port, struct vs_vhost_info *info)
{
	const struct vs_vhost_port *vp = port->priv;

	if (port->kind != VS_PORT_KIND_VHOST)
		return -EINVAL;
	info->path = vp->path;
	info->client = vp->client;
	info->offload = vp->offload;
	info->vid = __atomic_load_n(&vp->vid, __ATOMIC_RELAXED);
	info->features = __atomic_load_n(&vp->features, __ATOMIC_RELAXED);
	info->vrings = __atomic_load_n(&vp->vrings, __ATOMIC_RELAXED);
	info->enabled_mask = __atomic_load_n(&vp->enabled_mask, __ATOMIC_RELAXED);
	info->numa_node = __atomic_load_n(&vp->numa_node, __ATOMIC_RELAXED);
	return 0;
}
