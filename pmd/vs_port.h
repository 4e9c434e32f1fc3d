/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The vhostswitch authors
 */

/*
 * The one port interface the dataplane sees.
 *
 * Every kind of port (vhost-user guest, DPDK ethdev) fills a struct vs_port
 * and a table of operations. The dataplane only calls rx_burst and tx_burst
 * through it, so a new kind of port never touches the forwarding code.
 *
 * Threads:
 *   - The control thread creates, registers and destroys ports.
 *   - A port's own event source (rte_vhost's event thread, link interrupts)
 *     flips its state with vs_port_set_up() / vs_port_set_down().
 *   - Workers call rx_burst/tx_burst only after reading the state as UP,
 *     and only until their next RCU quiescent report.
 */
#ifndef VS_PORT_H
#define VS_PORT_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_common.h>
#include <rte_mbuf.h>

#define VS_MAX_PORTS 256
#define VS_PORT_NAME_MAX 32
#define VS_PORT_QUEUES_MAX 16

/*
 * Drop reasons, declared once: the enum, the names in every output and the
 * help text all come from here. A frame dropped on input is counted on its
 * ingress port, one dropped on output on its egress port (on the ingress
 * port when the learned egress port has just left the bridge).
 */
#define VS_FOREACH_DROP(_)                                                     \
	_(RUNT, "runt", "frame shorter than an Ethernet header")               \
	_(BAD_SRC_MAC, "bad_src_mac", "source MAC is zero or a group address") \
	_(SAME_PORT, "same_port", "destination was learned on the ingress port") \
	_(NO_DEST, "no_destination", "flooded frame and no other port is up")  \
	_(NO_MBUF, "no_mbuf", "receive polls that found the mbuf pool empty (frames wait in the peer's ring)") \
	_(NOT_READY, "not_ready", "output port (or its queue) not ready, or gone from the bridge") \
	_(TX_FULL, "tx_full", "peer's receive ring (or NIC tx queue) was full") \
	_(RING_FULL, "ring_full", "hand-off ring to the queue's owner worker was full") \
	_(MTU_EXCEEDED, "mtu_exceeded", "frame (or, for a segmentation request, its segments) longer than the output port's MTU") \
	_(BAD_OFFLOAD, "bad_offload", "checksum or segmentation request the switch cannot complete (not TCP or UDP over IP, or headers split)") \
	_(TX_REFUSED, "tx_refused", "frame the output device refused to prepare for sending (an offload request it cannot complete)") \
	_(GSO_FAILED, "gso_failed", "frame that had to be segmented in software and could not be (no mbufs, too many segments)") \
	_(RX_MISSED, "rx_missed", "frames the device dropped: its rx queue was full") \
	_(RX_ERRORS, "rx_errors", "frames the device received in error")      \
	_(TX_ERRORS, "tx_errors", "frames the device failed to send")

enum vs_drop {
#define VS_DROP_ENUM(sym, name, help) VS_DROP_##sym,
	VS_FOREACH_DROP(VS_DROP_ENUM)
#undef VS_DROP_ENUM
	VS_DROP_MAX
};

extern const char *const vs_drop_names[VS_DROP_MAX];
extern const char *const vs_drop_help[VS_DROP_MAX];

/*
 * Traffic counters of one port. Each copy is written by one thread only
 * (a worker, or the port's queue owner); readers sum the copies.
 */
struct vs_port_counters {
	uint64_t rx_packets;
	uint64_t rx_bytes;
	uint64_t tx_packets;
	uint64_t tx_bytes;
	/*
	 * Work done in software for an output port that could not do it:
	 * frames whose checksum was completed, frames cut into segments.
	 */
	uint64_t tx_sw_csum;
	uint64_t tx_sw_gso;
	uint64_t drops[VS_DROP_MAX];
};

/*
 * The device has one tx queue per worker: worker w sends on queue w, with
 * no ownership and no hand-off rings (NICs). Without it, tx queue q is
 * owned by the worker that polls rx queue q (vhost).
 */
#define VS_PORT_F_TXQ_PER_WORKER (1u << 0)
/*
 * Received frames arrive in this CPU's cache: the port copied them into
 * the mbufs itself (vhost), so prefetching their headers only costs.
 */
#define VS_PORT_F_RX_COPIED (1u << 1)

enum vs_port_kind {
	VS_PORT_KIND_VHOST,
	VS_PORT_KIND_ETH,
};

enum vs_port_state {
	VS_PORT_DOWN = 0, /* no peer attached: nothing may touch the device */
	VS_PORT_UP = 1,   /* peer attached and queues usable */
};

struct vs_port;

struct vs_port_ops {
	/*
	 * Receives up to n packets from rx queue qid into pkts and returns how
	 * many it stored. Ownership of the returned mbufs passes to the caller.
	 * Called only by the worker that owns (port, qid), between reading the
	 * port UP and its next quiescent report.
	 */
	uint16_t (*rx_burst)(struct vs_port *port, uint16_t qid,
			     struct rte_mbuf **pkts, uint16_t n);
	/*
	 * May be NULL. Readies pkts[0..n) for tx queue qid, when the port has
	 * tx offloads: the device checks and completes their offload requests
	 * (rte_eth_tx_prepare). Returns how many it accepted, kept in order
	 * at the front; the frames it refused follow them, still the
	 * caller's to drop. Same calling rules as rx_burst.
	 */
	uint16_t (*tx_prepare)(struct vs_port *port, uint16_t qid,
			       struct rte_mbuf **pkts, uint16_t n);
	/*
	 * Transmits pkts[0..n) on tx queue qid and returns how many the peer
	 * accepted. The port takes ownership of all n mbufs whatever the
	 * result: it frees those it could not send, and the caller counts
	 * n - result as drops. Same calling rules as rx_burst.
	 */
	uint16_t (*tx_burst)(struct vs_port *port, uint16_t qid,
			     struct rte_mbuf **pkts, uint16_t n);
	/*
	 * Adds to acc what only the port itself sees (for example frames
	 * left in the peer's ring for want of mbufs). Any control thread.
	 * May be NULL.
	 */
	void (*read_counters)(const struct vs_port *port,
			      struct vs_port_counters *acc);
	/*
	 * Releases everything the port holds (sockets, devices). Control
	 * thread only, after the port has left the dataplane.
	 */
	void (*destroy)(struct vs_port *port);
};

/* Lifecycle events of a port, counted by the thread that sees them. */
struct vs_port_events {
	uint64_t connects;    /* a peer attached (vhost new_device, link up) */
	uint64_t disconnects; /* a peer left (vhost destroy_device, link down) */
	uint64_t vring_changes;
	uint64_t numa_fallbacks; /* peer's memory on a node without mbufs */
};

struct vs_port {
	/* Read by workers on every burst. */
	const struct vs_port_ops *ops;
	void *priv;           /* the kind's own state */
	uint16_t index;       /* slot in the registry: FDB and counter key */
	uint16_t nb_queues;   /* queue pairs the dataplane polls (fixed) */
	uint32_t state;       /* enum vs_port_state. owner: wo (release); workers: ro (acquire) */
	/*
	 * Queues the peer has enabled, bit q for queue q. Event source: wo
	 * (relaxed); workers: ro. A worker polls only enabled rx queues and
	 * spreads its transmissions over the enabled tx queues by flow.
	 */
	uint32_t rxq_mask;
	uint32_t txq_mask;
	int numa_node;        /* of the port's memory; -1 unknown. Event source: wo */
	uint32_t flags;       /* VS_PORT_F_*. Fixed while the port is attached */
	/* Longest frame the port sends (0: no limit). Control: wo; workers: ro */
	uint32_t max_frame;
	/*
	 * VS_OL_* (vs_offload.h): what the port does itself on output; frames
	 * asking for more get it done in software first. Event source or
	 * control: wo (relaxed) before the port goes UP; workers: ro.
	 */
	uint32_t tx_offloads;

	/* Control plane only. */
	enum vs_port_kind kind;
	char name[VS_PORT_NAME_MAX];
	struct vs_port_events events; /* event source: wo (atomic add); readers: ro */
};

/*
 * Reserves a registry slot and fills the generic part of a port.
 * Returns NULL and sets rte_errno: EEXIST (name taken), ENOSPC (registry
 * full), EINVAL (bad name), ENOMEM.
 */
struct vs_port *vs_port_alloc(const char *name, enum vs_port_kind kind,
			      const struct vs_port_ops *ops, size_t priv_size);

/* Releases the registry slot of a port allocated by vs_port_alloc(). */
void vs_port_free(struct vs_port *port);

/* Looks a port up by name or by index; NULL when absent. */
struct vs_port *vs_port_by_name(const char *name);
struct vs_port *vs_port_by_index(uint16_t index);

/*
 * Calls fn for every registered port, in index order. For the control
 * plane, which holds the control lock: ports are freed only under it.
 */
void vs_port_foreach(void (*fn)(struct vs_port *port, void *arg), void *arg);

/*
 * Returns the first port that match() accepts, or NULL. For threads that
 * do not hold the control lock (rte_vhost's event thread): a lock keeps
 * ports from being freed during the walk, so match() must be quick and
 * must not block. The port returned stays valid only as long as the
 * caller knows nobody frees it (a vhost callback: until unregistration).
 */
struct vs_port *vs_port_find(bool (*match)(const struct vs_port *port, void *arg),
			     void *arg);

/* Number of registered ports. */
unsigned int vs_port_count(void);

/* Checks a port name: 1-31 characters of [A-Za-z0-9_.-]. */
bool vs_port_name_valid(const char *name);

static inline bool
vs_port_is_up(const struct vs_port *port)
{
	return __atomic_load_n(&port->state, __ATOMIC_ACQUIRE) == VS_PORT_UP;
}

static inline void
vs_port_set_state(struct vs_port *port, enum vs_port_state state)
{
	__atomic_store_n(&port->state, state, __ATOMIC_RELEASE);
}

static inline bool
vs_port_rxq_enabled(const struct vs_port *port, uint16_t q)
{
	return (__atomic_load_n(&port->rxq_mask, __ATOMIC_RELAXED) >> q) & 1;
}

static inline const char *
vs_port_state_name(const struct vs_port *port)
{
	return vs_port_is_up(port) ? "up" : "down";
}

static inline const char *
vs_port_kind_name(enum vs_port_kind kind)
{
	return kind == VS_PORT_KIND_VHOST ? "vhost" : "eth";
}

#endif /* VS_PORT_H */
