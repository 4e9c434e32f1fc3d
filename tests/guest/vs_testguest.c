/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The vhostswitch authors
 */

/*
 * vs-testguest: a scriptable traffic guest for the integration tests.
 *
 * It runs DPDK's net_virtio_user PMD against a vhost-user switch, one
 * ethdev per --vdev (one process may hold several guest ports), and is
 * driven by one command per line on stdin. Every command gets exactly one
 * JSON object on one line of stdout; every reply has "ok" and "cmd", and
 * "error" when ok is false. DPDK's own log goes to stderr so that stdout
 * carries nothing but replies.
 *
 *   vs-testguest [EAL options] -- [--mbufs N]
 *   e.g. vs-testguest -l 0 --no-pci --in-memory --single-file-segments \
 *        --vdev net_virtio_user0,path=/tmp/a.sock,mac=02:00:00:00:00:0a --
 *
 * --mbufs sizes the packet pool (default 4096 per queue pair, enough for
 * rings of up to 1024 entries; give each queue pair 2 * queue_size + 1024
 * for more). Once its ports are started it prints
 * {"ok":true,"cmd":"ready","ports":N}.
 *
 * Multiqueue: a vdev with queues=N (virtio-user's devarg) gets N rx and N
 * tx queues (at most 8), all of them configured, so the device enables
 * every queue pair. Every rx queue is polled; a flow is always sent on tx
 * queue (flow % N), so the order of one flow means something. With
 * queues=1 (the default) everything is as on a single-queue port.
 *
 * Commands (arguments are key=value, in any order; [] marks optional ones,
 * with their defaults; PORT is a port index 0..n-1 in --vdev order):
 *
 *   info
 *       Ports, their MACs, link state and queue pairs ("queues").
 *   wait_up [timeout_ms=5000]
 *       Replies when every port's link is up, or ok=false at the timeout.
 *   send port=PORT dst=MAC count=N [len=60] [flow=0] [pps=0] [src=MAC]
 *        [timeout_ms=5000]
 *       Sends N frames of len bytes (60..1514, no FCS) to dst, paced at pps
 *       frames per second (0: as fast as the ring takes them). Partial tx
 *       bursts are retried until all N are queued or timeout_ms passes
 *       beyond the paced schedule. Replies {"sent":S,"failed":F} when done;
 *       receiving and streams go on meanwhile. dst may be "bcast". src
 *       overrides the Ethernet source (to provoke the switch's drops).
 *       [proto=raw|udp]: raw (the default) is our ether type right after
 *       the Ethernet header; udp carries the same header and payload in
 *       IPv4/UDP (10.m3.m4.m5 from each MAC's last three bytes, source
 *       port 10000 + flow, destination port 0x88B5), so that a switch
 *       that hashes addresses and ports sees each flow as its own; len
 *       is then 70..1514 (default 70).
 *   stream_start port=PORT dst=MAC pps=R [flow=0] [len=60] [src=MAC]
 *        [proto=raw|udp]
 *       Starts a continuous paced stream in the background; replies its
 *       id. At most 32 streams run at once.
 *   stream_stop [id=ID]
 *       Stops one stream (or all) and replies each one's sent count.
 *   rx port=PORT enable=0|1
 *       Stops (0) or resumes (1) polling the port's rx queues, so that its
 *       ring fills up and the switch has to drop for a full ring.
 *   stats [port=PORT]
 *       Per port: rx frames and bytes, rx_good (every byte matched),
 *       rx_bad (our magic but wrong length or bytes), rx_foreign (not our
 *       frame), rx_not_for_us (unicast to another MAC), tx_sent, tx_bytes,
 *       tx_failed (given up by send), tx_partial (partial bursts retried),
 *       tx_nombuf; tx_flows: per flow the frames sent and the next
 *       sequence number; rx_flows: per (source MAC, flow) received,
 *       in_order, out_of_order, duplicates, lost, min_seq, max_seq,
 *       rxq_mask (bit q set: a frame of it arrived on rx queue q).
 *       Also per port: queues (queue pairs), rxq_frames and txq_frames
 *       (arrays, frames received and sent per queue).
 *   clear
 *       Zeroes every counter and forgets every rx flow. Sequence numbers
 *       of tx flows go on, so a receiver never mistakes new frames for
 *       duplicates of old ones.
 *   quit
 *       Stops streams, stops and closes the ports, replies, then cleans
 *       up the EAL and exits 0. End of input on stdin does the same.
 *
 * Frame format (ether type 0x88B5, IEEE local experimental):
 *   Ethernet header (the source MAC names the sender), with proto=udp an
 *   IPv4 and a UDP header (ether type 0x0800), then struct tg_hdr
 *   in network order: magic "VSTG", flow id, 64-bit sequence number, TSC
 *   at transmission, frame length; then a payload whose every byte is a
 *   function of (flow, seq, offset), so the receiver checks all of them.
 *
 * Sequence numbers count per (port, flow) from 0 and advance only for
 * frames the PMD accepted, so a receiver's gap is a frame lost after it
 * left this process, never one this process failed to queue.
 */

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include <rte_byteorder.h>
#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_lcore.h>
#include <rte_log.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_udp.h>

#define TG_MAX_PORTS 8
#define TG_MAX_FLOWS 256       /* flow ids 0..TG_MAX_FLOWS-1 */
#define TG_MAX_RX_FLOWS 64     /* (source MAC, flow) pairs tracked per port */
#define TG_MAX_STREAMS 32
#define TG_MAX_QUEUES 8        /* queue pairs per port (virtio-user queues=) */
#define TG_BURST 32
#define TG_RX_BURSTS_PER_VISIT 8
#define TG_WINDOW 4096         /* sequence numbers remembered for duplicates */
#define TG_ETHER_TYPE 0x88B5
#define TG_MAGIC 0x56535447u   /* "VSTG" */
#define TG_UDP_DPORT 0x88B5    /* proto=udp: destination port of our frames */
#define TG_UDP_SPORT 10000     /* proto=udp: source port is this + flow */
#define TG_MIN_LEN 60
#define TG_MAX_LEN 1514
#define TG_FRAME_BUF 2048
#define TG_LINE_MAX 1024
#define TG_MAX_ARGS 16
#define TG_MBUFS_PER_PORT 4096u
#define TG_IDLE_NS 50000       /* nothing to do: yield the shared core */
#define TG_BUSY_NS 10000       /* only pacing to do: nap shorter */

struct tg_hdr {
	rte_be32_t magic;
	rte_be32_t flow;
	rte_be64_t seq;
	rte_be64_t tsc;
	rte_be16_t len;
	rte_be16_t reserved;
} __rte_packed;

#define TG_HDRS_LEN (sizeof(struct rte_ether_hdr) + sizeof(struct tg_hdr))
#define TG_UDP_OFF (sizeof(struct rte_ether_hdr) + sizeof(struct rte_ipv4_hdr) + \
		    sizeof(struct rte_udp_hdr))
#define TG_UDP_HDRS_LEN (TG_UDP_OFF + sizeof(struct tg_hdr))

struct tg_rx_flow {
	bool used;
	struct rte_ether_addr src;
	uint32_t flow;
	uint64_t received;
	uint64_t in_order;      /* seq above every earlier one */
	uint64_t out_of_order;  /* seq below the highest, first time seen */
	uint64_t duplicates;    /* seq seen before (within TG_WINDOW) */
	uint64_t min_seq;
	uint64_t max_seq;
	uint32_t rxq_mask;      /* bit q: a frame arrived on rx queue q */
	/* Bit (seq % TG_WINDOW) is set once seq in (max_seq - TG_WINDOW, max_seq] arrived. */
	uint64_t seen[TG_WINDOW / 64];
};

struct tg_port {
	uint16_t port_id;
	uint16_t nb_queues;     /* rx and tx queues, one pair per vhost queue pair */
	struct rte_ether_addr mac;
	bool rx_paused;

	uint64_t rx_frames;
	uint64_t rx_bytes;
	uint64_t rx_good;
	uint64_t rx_bad;
	uint64_t rx_foreign;
	uint64_t rx_not_for_us;
	uint64_t rx_flow_overflow; /* good frames of flows beyond TG_MAX_RX_FLOWS */
	unsigned int last_flow;    /* index of the last rx flow hit */
	struct tg_rx_flow rx_flows[TG_MAX_RX_FLOWS];

	uint64_t tx_sent;
	uint64_t tx_bytes;
	uint64_t tx_failed;
	uint64_t tx_partial;
	uint64_t tx_nombuf;
	uint64_t tx_flow_sent[TG_MAX_FLOWS];
	uint64_t tx_seq[TG_MAX_FLOWS]; /* next sequence number; survives clear */

	uint64_t rxq_frames[TG_MAX_QUEUES]; /* frames per rx queue */
	uint64_t txq_frames[TG_MAX_QUEUES]; /* frames sent per tx queue */
};

/* One paced sender: the body of a send command or of a stream. */
struct tg_sender {
	bool active;
	uint16_t port;
	uint16_t len;
	uint32_t flow;
	bool udp;             /* proto=udp: in IPv4/UDP */
	struct rte_ether_addr dst;
	struct rte_ether_addr src;
	uint64_t count;       /* 0: until stopped */
	uint64_t pps;         /* 0: as fast as possible */
	uint64_t sent;
	uint64_t start_tsc;
	uint64_t deadline_tsc; /* 0: none */
};

enum tg_job {
	TG_JOB_NONE,
	TG_JOB_SEND,
	TG_JOB_WAIT_UP,
};

struct tg_arg {
	const char *key;
	const char *val;
};

static struct tg_port ports[TG_MAX_PORTS];
static uint16_t n_ports;
static struct rte_mempool *pool;
static uint64_t hz;

static struct tg_sender streams[TG_MAX_STREAMS];
static struct tg_sender send_job;
static enum tg_job job;
static uint64_t job_deadline;
static uint64_t next_link_check;

static char inbuf[TG_LINE_MAX * 4];
static size_t inlen;
static bool stdin_eof;
static volatile sig_atomic_t quit_signal;
static bool quit_requested;
static bool quit_command;

static void
on_signal(int sig)
{
	quit_signal = sig;
}

/* Replies go out whole, one line each, so the driver never sees a half. */
static void
reply_end(void)
{
	fputs("}\n", stdout);
	fflush(stdout);
}

static void
reply_error(const char *cmd, const char *fmt, ...) __rte_format_printf(2, 3);

static void
reply_error(const char *cmd, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* Messages are ours and never hold quotes or backslashes. */
	printf("{\"ok\":false,\"cmd\":\"%s\",\"error\":\"%s\"", cmd, msg);
	reply_end();
}

static void
mac_str(const struct rte_ether_addr *a, char *buf)
{
	const uint8_t *b = a->addr_bytes;

	sprintf(buf, "%02x:%02x:%02x:%02x:%02x:%02x", b[0], b[1], b[2], b[3],
		b[4], b[5]);
}

/*
 * The payload generator: a 64-bit mix of (flow, seq, word index) per 8
 * bytes, so every byte depends on all three and a frame delivered under
 * another header, or shifted, or truncated, fails the check.
 */
static inline uint64_t
tg_mix(uint32_t flow, uint64_t seq, uint32_t word)
{
	uint64_t x = (seq * 0x9E3779B97F4A7C15ULL) ^ (((uint64_t)flow << 32) | word);

	x ^= x >> 30;
	x *= 0xBF58476D1CE4E5B9ULL;
	x ^= x >> 27;
	x *= 0x94D049BB133111EBULL;
	x ^= x >> 31;
	return rte_cpu_to_le_64(x);
}

static void
tg_fill(uint8_t *p, uint32_t n, uint32_t flow, uint64_t seq)
{
	uint32_t j;
	uint64_t w;

	for (j = 0; (j + 1) * 8 <= n; j++) {
		w = tg_mix(flow, seq, j);
		memcpy(p + j * 8, &w, 8);
	}
	if (j * 8 < n) {
		w = tg_mix(flow, seq, j);
		memcpy(p + j * 8, &w, n - j * 8);
	}
}

static bool
tg_check(const uint8_t *p, uint32_t n, uint32_t flow, uint64_t seq)
{
	uint32_t j;
	uint64_t w;

	for (j = 0; (j + 1) * 8 <= n; j++) {
		w = tg_mix(flow, seq, j);
		if (memcmp(p + j * 8, &w, 8) != 0)
			return false;
	}
	if (j * 8 < n) {
		w = tg_mix(flow, seq, j);
		if (memcmp(p + j * 8, &w, n - j * 8) != 0)
			return false;
	}
	return true;
}

static struct tg_rx_flow *
rx_flow_find(struct tg_port *p, const struct rte_ether_addr *src, uint32_t flow)
{
	struct tg_rx_flow *f = &p->rx_flows[p->last_flow];

	if (f->used && f->flow == flow && rte_is_same_ether_addr(&f->src, src))
		return f;
	for (unsigned int i = 0; i < TG_MAX_RX_FLOWS; i++) {
		f = &p->rx_flows[i];
		if (!f->used) {
			memset(f, 0, sizeof(*f));
			f->used = true;
			f->src = *src;
			f->flow = flow;
			p->last_flow = i;
			return f;
		}
		if (f->flow == flow && rte_is_same_ether_addr(&f->src, src)) {
			p->last_flow = i;
			return f;
		}
	}
	return NULL;
}

static inline bool
seen_test_set(struct tg_rx_flow *f, uint64_t seq)
{
	uint64_t bit = 1ULL << (seq % 64);
	uint64_t *w = &f->seen[(seq % TG_WINDOW) / 64];
	bool was = (*w & bit) != 0;

	*w |= bit;
	return was;
}

static void
rx_flow_account(struct tg_rx_flow *f, uint64_t seq)
{
	f->received++;
	if (f->received == 1) {
		f->min_seq = f->max_seq = seq;
		seen_test_set(f, seq);
		f->in_order++;
		return;
	}
	if (seq > f->max_seq) {
		/* Forget the bits the window slides over: they are new seqs. */
		if (seq - f->max_seq >= TG_WINDOW) {
			memset(f->seen, 0, sizeof(f->seen));
		} else {
			for (uint64_t s = f->max_seq + 1; s < seq; s++)
				f->seen[(s % TG_WINDOW) / 64] &= ~(1ULL << (s % 64));
			f->seen[(seq % TG_WINDOW) / 64] &= ~(1ULL << (seq % 64));
		}
		seen_test_set(f, seq);
		f->max_seq = seq;
		f->in_order++;
		return;
	}
	if (f->max_seq - seq >= TG_WINDOW || seq < f->min_seq) {
		/* Too old to tell a duplicate from a late frame: call it late. */
		f->out_of_order++;
		if (seq < f->min_seq)
			f->min_seq = seq;
		return;
	}
	if (seen_test_set(f, seq))
		f->duplicates++;
	else
		f->out_of_order++;
}

static uint64_t
rx_flow_lost(const struct tg_rx_flow *f)
{
	uint64_t span, unique;

	if (f->received == 0)
		return 0;
	span = f->max_seq - f->min_seq + 1;
	unique = f->in_order + f->out_of_order;
	return span > unique ? span - unique : 0;
}

/*
 * proto=udp frames: our header behind IPv4 (no options) and UDP to port
 * TG_UDP_DPORT. Returns true when d holds such a frame; *bad is set when
 * its IPv4 or UDP header does not match what a sender builds.
 */
static bool
rx_is_udp(const uint8_t *d, uint32_t len, bool *bad)
{
	const struct rte_ether_hdr *eth = (const struct rte_ether_hdr *)d;
	const struct rte_ipv4_hdr *ip = (const struct rte_ipv4_hdr *)(eth + 1);
	const struct rte_udp_hdr *udp = (const struct rte_udp_hdr *)(ip + 1);
	const struct tg_hdr *h = (const struct tg_hdr *)(udp + 1);

	if (len < TG_UDP_HDRS_LEN ||
	    eth->ether_type != rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4) ||
	    ip->version_ihl != RTE_IPV4_VHL_DEF ||
	    ip->next_proto_id != IPPROTO_UDP ||
	    udp->dst_port != rte_cpu_to_be_16(TG_UDP_DPORT) ||
	    h->magic != rte_cpu_to_be_32(TG_MAGIC))
		return false;
	*bad = len > TG_MAX_LEN ||
	       rte_be_to_cpu_16(ip->total_length) != len - sizeof(*eth) ||
	       rte_be_to_cpu_16(udp->dgram_len) != len - sizeof(*eth) - sizeof(*ip) ||
	       rte_be_to_cpu_16(udp->src_port) !=
			TG_UDP_SPORT + rte_be_to_cpu_32(h->flow) ||
	       rte_ipv4_cksum(ip) != 0; /* over a valid header, with its sum */
	return true;
}

static void
rx_one(struct tg_port *p, uint16_t q, struct rte_mbuf *m)
{
	uint8_t buf[TG_FRAME_BUF];
	const struct rte_ether_hdr *eth;
	const struct tg_hdr *h;
	const uint8_t *d;
	struct tg_rx_flow *f;
	uint32_t len = m->pkt_len;
	uint32_t off = TG_HDRS_LEN;
	uint32_t flow;
	uint64_t seq;
	bool bad = false;

	p->rx_frames++;
	p->rx_bytes += len;
	p->rxq_frames[q]++;
	if (len < TG_HDRS_LEN) {
		p->rx_foreign++;
		return;
	}
	/* Copies only when the frame spans segments. */
	d = rte_pktmbuf_read(m, 0, RTE_MIN(len, (uint32_t)sizeof(buf)), buf);
	eth = (const struct rte_ether_hdr *)d;
	h = (const struct tg_hdr *)(d + sizeof(*eth));
	if (rx_is_udp(d, len, &bad)) {
		off = TG_UDP_HDRS_LEN;
		h = (const struct tg_hdr *)(d + TG_UDP_OFF);
	} else if (eth->ether_type != rte_cpu_to_be_16(TG_ETHER_TYPE) ||
		   h->magic != rte_cpu_to_be_32(TG_MAGIC)) {
		p->rx_foreign++;
		return;
	}
	if (!rte_is_multicast_ether_addr(&eth->dst_addr) &&
	    !rte_is_same_ether_addr(&eth->dst_addr, &p->mac))
		p->rx_not_for_us++;
	flow = rte_be_to_cpu_32(h->flow);
	seq = rte_be_to_cpu_64(h->seq);
	if (bad || len > TG_MAX_LEN || rte_be_to_cpu_16(h->len) != len ||
	    !tg_check(d + off, len - off, flow, seq)) {
		p->rx_bad++;
		return;
	}
	p->rx_good++;
	f = rx_flow_find(p, &eth->src_addr, flow);
	if (f == NULL) {
		p->rx_flow_overflow++;
		return;
	}
	f->rxq_mask |= 1u << q;
	rx_flow_account(f, seq);
}

/* Returns how many frames arrived. */
static unsigned int
rx_poll(struct tg_port *p)
{
	struct rte_mbuf *pkts[TG_BURST];
	unsigned int total = 0;

	if (p->rx_paused)
		return 0;
	for (uint16_t q = 0; q < p->nb_queues; q++) {
		for (int b = 0; b < TG_RX_BURSTS_PER_VISIT; b++) {
			uint16_t n = rte_eth_rx_burst(p->port_id, q, pkts, TG_BURST);

			for (uint16_t i = 0; i < n; i++)
				rx_one(p, q, pkts[i]);
			rte_pktmbuf_free_bulk(pkts, n);
			total += n;
			if (n < TG_BURST)
				break;
		}
	}
	return total;
}

/* An IPv4 address for a MAC, to give proto=udp frames distinct addresses. */
static rte_be32_t
mac_ip(const struct rte_ether_addr *a)
{
	const uint8_t *b = a->addr_bytes;

	return rte_cpu_to_be_32(RTE_IPV4(10, b[3], b[4], b[5]));
}

/* The IPv4 and UDP headers of a proto=udp frame of s. */
static void
build_udp(const struct tg_sender *s, uint8_t *d)
{
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(d + sizeof(struct rte_ether_hdr));
	struct rte_udp_hdr *udp = (struct rte_udp_hdr *)(ip + 1);

	memset(ip, 0, sizeof(*ip));
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->total_length = rte_cpu_to_be_16(s->len - sizeof(struct rte_ether_hdr));
	ip->fragment_offset = rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG);
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_UDP;
	ip->src_addr = mac_ip(&s->src);
	ip->dst_addr = mac_ip(&s->dst);
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	udp->src_port = rte_cpu_to_be_16(TG_UDP_SPORT + s->flow);
	udp->dst_port = rte_cpu_to_be_16(TG_UDP_DPORT);
	udp->dgram_len = rte_cpu_to_be_16(s->len - sizeof(struct rte_ether_hdr) -
					  sizeof(*ip));
	udp->dgram_cksum = 0; /* none: IPv4 allows it */
}

/* Fills n fresh mbufs with the sender's next frames; 0 when the pool is dry. */
static uint16_t
build_frames(const struct tg_sender *s, struct tg_port *p,
	     struct rte_mbuf **pkts, uint16_t n)
{
	uint64_t seq0 = p->tx_seq[s->flow];
	uint64_t tsc = rte_rdtsc();

	if (rte_pktmbuf_alloc_bulk(pool, pkts, n) != 0) {
		p->tx_nombuf++;
		return 0;
	}
	for (uint16_t i = 0; i < n; i++) {
		uint8_t *d = (uint8_t *)rte_pktmbuf_append(pkts[i], s->len);
		struct rte_ether_hdr *eth = (struct rte_ether_hdr *)d;
		struct tg_hdr *h = (struct tg_hdr *)(d + sizeof(*eth));
		uint32_t off = TG_HDRS_LEN;
		uint64_t seq = seq0 + i;

		eth->dst_addr = s->dst;
		eth->src_addr = s->src;
		eth->ether_type = rte_cpu_to_be_16(TG_ETHER_TYPE);
		if (s->udp) {
			eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
			build_udp(s, d);
			h = (struct tg_hdr *)(d + TG_UDP_OFF);
			off = TG_UDP_HDRS_LEN;
		}
		h->magic = rte_cpu_to_be_32(TG_MAGIC);
		h->flow = rte_cpu_to_be_32(s->flow);
		h->seq = rte_cpu_to_be_64(seq);
		h->tsc = rte_cpu_to_be_64(tsc);
		h->len = rte_cpu_to_be_16(s->len);
		h->reserved = 0;
		tg_fill(d + off, s->len - off, s->flow, seq);
	}
	return n;
}

/*
 * Sends what the schedule says is due, at most one burst per call so rx
 * keeps being polled. Frames the PMD did not take are freed and built
 * again (with the same sequence numbers) on a later call.
 */
static unsigned int
sender_run(struct tg_sender *s, uint64_t now)
{
	struct tg_port *p = &ports[s->port];
	struct rte_mbuf *pkts[TG_BURST];
	uint64_t due = s->count ? s->count : UINT64_MAX;
	/* One queue per flow, so that the flow's order means something. */
	uint16_t q = (uint16_t)(s->flow % p->nb_queues);
	uint16_t n, k;

	if (s->pps) {
		uint64_t sched = (uint64_t)((double)(now - s->start_tsc) *
					    (double)s->pps / (double)hz) + 1;

		due = RTE_MIN(due, sched);
	}
	if (due <= s->sent)
		return 0;
	n = (uint16_t)RTE_MIN(due - s->sent, (uint64_t)TG_BURST);
	n = build_frames(s, p, pkts, n);
	if (n == 0)
		return 0;
	k = rte_eth_tx_burst(p->port_id, q, pkts, n);
	if (k < n) {
		rte_pktmbuf_free_bulk(pkts + k, n - k);
		p->tx_partial++;
	}
	p->tx_seq[s->flow] += k;
	p->tx_flow_sent[s->flow] += k;
	p->tx_sent += k;
	p->tx_bytes += (uint64_t)k * s->len;
	p->txq_frames[q] += k;
	s->sent += k;
	return k;
}

static const char *
arg_get(const struct tg_arg *args, int n, const char *key)
{
	for (int i = 0; i < n; i++)
		if (strcmp(args[i].key, key) == 0)
			return args[i].val;
	return NULL;
}

static int
arg_u64(const char *cmd, const struct tg_arg *args, int n, const char *key,
	bool required, uint64_t def, uint64_t min, uint64_t max, uint64_t *out)
{
	const char *v = arg_get(args, n, key);
	char *end;
	unsigned long long x;

	if (v == NULL) {
		if (required) {
			reply_error(cmd, "missing %s=", key);
			return -1;
		}
		*out = def;
		return 0;
	}
	errno = 0;
	x = strtoull(v, &end, 0);
	if (v[0] == '-' || v[0] == '\0' || *end != '\0' || errno != 0 ||
	    x < min || x > max) {
		reply_error(cmd, "%s must be a number from %" PRIu64 " to %" PRIu64,
			    key, min, max);
		return -1;
	}
	*out = x;
	return 0;
}

static int
arg_mac(const char *cmd, const struct tg_arg *args, int n, const char *key,
	const struct rte_ether_addr *def, struct rte_ether_addr *out)
{
	const char *v = arg_get(args, n, key);

	if (v == NULL) {
		if (def == NULL) {
			reply_error(cmd, "missing %s=", key);
			return -1;
		}
		*out = *def;
		return 0;
	}
	if (strcmp(v, "bcast") == 0) {
		memset(out, 0xff, sizeof(*out));
		return 0;
	}
	if (rte_ether_unformat_addr(v, out) != 0) {
		reply_error(cmd, "%s: bad MAC address", key);
		return -1;
	}
	return 0;
}

static int
arg_port(const char *cmd, const struct tg_arg *args, int n, bool required,
	 uint64_t *out)
{
	return arg_u64(cmd, args, n, "port", required, 0, 0, n_ports - 1, out);
}

/* Parses the sender fields common to send and stream_start. */
static int
parse_sender(const char *cmd, const struct tg_arg *args, int n,
	     struct tg_sender *s, bool pps_required)
{
	uint64_t port, len, flow, pps, min_len = TG_MIN_LEN;
	const char *proto = arg_get(args, n, "proto");

	memset(s, 0, sizeof(*s));
	if (proto != NULL && strcmp(proto, "udp") == 0) {
		s->udp = true;
		min_len = TG_UDP_HDRS_LEN;
	} else if (proto != NULL && strcmp(proto, "raw") != 0) {
		reply_error(cmd, "proto must be raw or udp");
		return -1;
	}
	if (arg_port(cmd, args, n, true, &port) < 0 ||
	    arg_u64(cmd, args, n, "len", false, min_len, min_len,
		    TG_MAX_LEN, &len) < 0 ||
	    arg_u64(cmd, args, n, "flow", false, 0, 0, TG_MAX_FLOWS - 1, &flow) < 0 ||
	    arg_u64(cmd, args, n, "pps", pps_required, 0, pps_required ? 1 : 0,
		    100000000, &pps) < 0 ||
	    arg_mac(cmd, args, n, "dst", NULL, &s->dst) < 0 ||
	    arg_mac(cmd, args, n, "src", &ports[port].mac, &s->src) < 0)
		return -1;
	s->port = (uint16_t)port;
	s->len = (uint16_t)len;
	s->flow = (uint32_t)flow;
	s->pps = pps;
	s->start_tsc = rte_rdtsc();
	return 0;
}

static bool
link_up(uint16_t i)
{
	struct rte_eth_link link;

	memset(&link, 0, sizeof(link));
	if (rte_eth_link_get_nowait(ports[i].port_id, &link) != 0)
		return false;
	return link.link_status == RTE_ETH_LINK_UP;
}

static void
reply_links(const char *cmd, bool ok)
{
	char mac[RTE_ETHER_ADDR_FMT_SIZE];

	printf("{\"ok\":%s,\"cmd\":\"%s\",", ok ? "true" : "false", cmd);
	if (!ok)
		printf("\"error\":\"timeout: not every link is up\",");
	printf("\"ports\":[");
	for (uint16_t i = 0; i < n_ports; i++) {
		mac_str(&ports[i].mac, mac);
		printf("%s{\"port\":%u,\"mac\":\"%s\",\"link\":%s,\"queues\":%u}",
		       i ? "," : "", i, mac, link_up(i) ? "true" : "false",
		       ports[i].nb_queues);
	}
	printf("]");
	reply_end();
}

static void
print_port_stats(uint16_t i)
{
	const struct tg_port *p = &ports[i];
	struct rte_eth_stats es;
	char mac[RTE_ETHER_ADDR_FMT_SIZE];
	bool first = true;

	memset(&es, 0, sizeof(es));
	rte_eth_stats_get(p->port_id, &es);
	mac_str(&p->mac, mac);
	printf("{\"port\":%u,\"mac\":\"%s\",\"link\":%s,\"rx_paused\":%s,"
	       "\"rx_frames\":%" PRIu64 ",\"rx_bytes\":%" PRIu64
	       ",\"rx_good\":%" PRIu64 ",\"rx_bad\":%" PRIu64
	       ",\"rx_foreign\":%" PRIu64 ",\"rx_not_for_us\":%" PRIu64
	       ",\"rx_flow_overflow\":%" PRIu64 ",\"rx_nombuf\":%" PRIu64
	       ",\"tx_sent\":%" PRIu64 ",\"tx_bytes\":%" PRIu64
	       ",\"tx_failed\":%" PRIu64 ",\"tx_partial\":%" PRIu64
	       ",\"tx_nombuf\":%" PRIu64 ",\"queues\":%u",
	       i, mac, link_up(i) ? "true" : "false",
	       p->rx_paused ? "true" : "false", p->rx_frames, p->rx_bytes,
	       p->rx_good, p->rx_bad, p->rx_foreign, p->rx_not_for_us,
	       p->rx_flow_overflow, es.rx_nombuf, p->tx_sent, p->tx_bytes,
	       p->tx_failed, p->tx_partial, p->tx_nombuf, p->nb_queues);
	printf(",\"rxq_frames\":[");
	for (uint16_t q = 0; q < p->nb_queues; q++)
		printf("%s%" PRIu64, q ? "," : "", p->rxq_frames[q]);
	printf("],\"txq_frames\":[");
	for (uint16_t q = 0; q < p->nb_queues; q++)
		printf("%s%" PRIu64, q ? "," : "", p->txq_frames[q]);
	printf("],\"tx_flows\":[");
	for (unsigned int f = 0; f < TG_MAX_FLOWS; f++) {
		if (p->tx_seq[f] == 0 && p->tx_flow_sent[f] == 0)
			continue;
		printf("%s{\"flow\":%u,\"sent\":%" PRIu64 ",\"next_seq\":%" PRIu64 "}",
		       first ? "" : ",", f, p->tx_flow_sent[f], p->tx_seq[f]);
		first = false;
	}
	printf("],\"rx_flows\":[");
	first = true;
	for (unsigned int k = 0; k < TG_MAX_RX_FLOWS; k++) {
		const struct tg_rx_flow *f = &p->rx_flows[k];

		if (!f->used)
			continue;
		mac_str(&f->src, mac);
		printf("%s{\"src\":\"%s\",\"flow\":%u,\"received\":%" PRIu64
		       ",\"in_order\":%" PRIu64 ",\"out_of_order\":%" PRIu64
		       ",\"duplicates\":%" PRIu64 ",\"lost\":%" PRIu64
		       ",\"min_seq\":%" PRIu64 ",\"max_seq\":%" PRIu64
		       ",\"rxq_mask\":%" PRIu32 "}",
		       first ? "" : ",", mac, f->flow, f->received, f->in_order,
		       f->out_of_order, f->duplicates, rx_flow_lost(f), f->min_seq,
		       f->max_seq, f->rxq_mask);
		first = false;
	}
	printf("]}");
}

static void
cmd_stats(const char *cmd, const struct tg_arg *args, int n)
{
	uint64_t port;
	bool one = arg_get(args, n, "port") != NULL;

	if (one && arg_port(cmd, args, n, true, &port) < 0)
		return;
	printf("{\"ok\":true,\"cmd\":\"%s\",\"ports\":[", cmd);
	for (uint16_t i = 0; i < n_ports; i++) {
		if (one && i != port)
			continue;
		if (!one && i > 0)
			putchar(',');
		print_port_stats(i);
	}
	printf("]");
	reply_end();
}

static void
cmd_rx(const char *cmd, const struct tg_arg *args, int n)
{
	uint64_t port, enable;

	if (arg_port(cmd, args, n, true, &port) < 0 ||
	    arg_u64(cmd, args, n, "enable", true, 1, 0, 1, &enable) < 0)
		return;
	ports[port].rx_paused = enable == 0;
	printf("{\"ok\":true,\"cmd\":\"%s\"", cmd);
	reply_end();
}

static void
cmd_clear(const char *cmd)
{
	for (uint16_t i = 0; i < n_ports; i++) {
		struct tg_port *p = &ports[i];

		p->rx_frames = p->rx_bytes = p->rx_good = p->rx_bad = 0;
		p->rx_foreign = p->rx_not_for_us = p->rx_flow_overflow = 0;
		p->last_flow = 0;
		memset(p->rx_flows, 0, sizeof(p->rx_flows));
		p->tx_sent = p->tx_bytes = p->tx_failed = 0;
		p->tx_partial = p->tx_nombuf = 0;
		memset(p->tx_flow_sent, 0, sizeof(p->tx_flow_sent));
		memset(p->rxq_frames, 0, sizeof(p->rxq_frames));
		memset(p->txq_frames, 0, sizeof(p->txq_frames));
		rte_eth_stats_reset(p->port_id);
	}
	printf("{\"ok\":true,\"cmd\":\"%s\"", cmd);
	reply_end();
}

static void
cmd_send(const char *cmd, const struct tg_arg *args, int n)
{
	uint64_t count, timeout_ms;

	if (arg_u64(cmd, args, n, "count", true, 0, 1, UINT64_MAX / 2, &count) < 0 ||
	    arg_u64(cmd, args, n, "timeout_ms", false, 5000, 0, 3600000,
		    &timeout_ms) < 0 ||
	    parse_sender(cmd, args, n, &send_job, false) < 0)
		return;
	send_job.count = count;
	send_job.deadline_tsc = send_job.start_tsc + timeout_ms * hz / 1000;
	if (send_job.pps)
		send_job.deadline_tsc += (uint64_t)((double)count * (double)hz /
						    (double)send_job.pps);
	send_job.active = true;
	job = TG_JOB_SEND;
}

/* Ends a send command: called from the main loop once it is done. */
static void
send_finish(void)
{
	uint64_t failed = send_job.count - send_job.sent;

	ports[send_job.port].tx_failed += failed;
	send_job.active = false;
	job = TG_JOB_NONE;
	printf("{\"ok\":%s,\"cmd\":\"send\",\"sent\":%" PRIu64 ",\"failed\":%" PRIu64,
	       failed ? "false" : "true", send_job.sent, failed);
	if (failed)
		printf(",\"error\":\"timeout: %" PRIu64 " frames not queued\"", failed);
	reply_end();
}

static void
cmd_stream_start(const char *cmd, const struct tg_arg *args, int n)
{
	struct tg_sender s;
	int id;

	if (parse_sender(cmd, args, n, &s, true) < 0)
		return;
	for (id = 0; id < TG_MAX_STREAMS; id++)
		if (!streams[id].active)
			break;
	if (id == TG_MAX_STREAMS) {
		reply_error(cmd, "at most %d streams", TG_MAX_STREAMS);
		return;
	}
	s.active = true;
	streams[id] = s;
	printf("{\"ok\":true,\"cmd\":\"%s\",\"id\":%d", cmd, id);
	reply_end();
}

static void
cmd_stream_stop(const char *cmd, const struct tg_arg *args, int n)
{
	uint64_t id;
	bool one = arg_get(args, n, "id") != NULL;
	bool first = true;

	if (one) {
		if (arg_u64(cmd, args, n, "id", true, 0, 0, TG_MAX_STREAMS - 1, &id) < 0)
			return;
		if (!streams[id].active) {
			reply_error(cmd, "stream %" PRIu64 " is not running", id);
			return;
		}
	}
	printf("{\"ok\":true,\"cmd\":\"%s\",\"streams\":[", cmd);
	for (int i = 0; i < TG_MAX_STREAMS; i++) {
		struct tg_sender *s = &streams[i];

		if (!s->active || (one && (uint64_t)i != id))
			continue;
		s->active = false;
		printf("%s{\"id\":%d,\"port\":%u,\"flow\":%u,\"sent\":%" PRIu64 "}",
		       first ? "" : ",", i, s->port, s->flow, s->sent);
		first = false;
	}
	printf("]");
	reply_end();
}

static void
cmd_wait_up(const char *cmd, const struct tg_arg *args, int n)
{
	uint64_t timeout_ms;

	if (arg_u64(cmd, args, n, "timeout_ms", false, 5000, 0, 3600000,
		    &timeout_ms) < 0)
		return;
	job = TG_JOB_WAIT_UP;
	job_deadline = rte_rdtsc() + timeout_ms * hz / 1000;
	next_link_check = 0;
}

static void
wait_up_poll(uint64_t now)
{
	bool all = true;

	if (now < next_link_check)
		return;
	next_link_check = now + hz / 100;
	for (uint16_t i = 0; i < n_ports && all; i++)
		all = link_up(i);
	if (all || now >= job_deadline) {
		job = TG_JOB_NONE;
		reply_links("wait_up", all);
	}
}

static void
handle_line(char *line)
{
	struct tg_arg args[TG_MAX_ARGS];
	char *save = NULL, *tok, *cmd;
	int n = 0;

	cmd = strtok_r(line, " \t\r", &save);
	if (cmd == NULL)
		return;
	while ((tok = strtok_r(NULL, " \t\r", &save)) != NULL) {
		char *eq = strchr(tok, '=');

		if (eq == NULL || eq == tok || n == TG_MAX_ARGS) {
			reply_error(cmd, "arguments are key=value (at most %d)",
				    TG_MAX_ARGS);
			return;
		}
		*eq = '\0';
		args[n].key = tok;
		args[n].val = eq + 1;
		n++;
	}
	if (strcmp(cmd, "info") == 0)
		reply_links(cmd, true);
	else if (strcmp(cmd, "wait_up") == 0)
		cmd_wait_up(cmd, args, n);
	else if (strcmp(cmd, "send") == 0)
		cmd_send(cmd, args, n);
	else if (strcmp(cmd, "stream_start") == 0)
		cmd_stream_start(cmd, args, n);
	else if (strcmp(cmd, "stream_stop") == 0)
		cmd_stream_stop(cmd, args, n);
	else if (strcmp(cmd, "stats") == 0)
		cmd_stats(cmd, args, n);
	else if (strcmp(cmd, "rx") == 0)
		cmd_rx(cmd, args, n);
	else if (strcmp(cmd, "clear") == 0)
		cmd_clear(cmd);
	else if (strcmp(cmd, "quit") == 0)
		quit_requested = quit_command = true;
	else
		reply_error("?", "unknown command (info wait_up send stream_start stream_stop rx stats clear quit)");
}

/*
 * Reads what stdin has without blocking, then runs complete lines while
 * no asynchronous command (send, wait_up) is in progress: commands are
 * answered in order, one reply each.
 */
static void
poll_stdin(void)
{
	char *nl;

	if (!stdin_eof && inlen < sizeof(inbuf)) {
		ssize_t r = read(STDIN_FILENO, inbuf + inlen, sizeof(inbuf) - inlen);

		if (r > 0)
			inlen += (size_t)r;
		else if (r == 0)
			stdin_eof = true;
		else if (errno != EAGAIN && errno != EINTR)
			stdin_eof = true;
	}
	while (job == TG_JOB_NONE && !quit_requested &&
	       (nl = memchr(inbuf, '\n', inlen)) != NULL) {
		size_t used = (size_t)(nl - inbuf) + 1;

		*nl = '\0';
		handle_line(inbuf);
		memmove(inbuf, inbuf + used, inlen - used);
		inlen -= used;
	}
	if (inlen == sizeof(inbuf) && memchr(inbuf, '\n', inlen) == NULL) {
		/* A line longer than the buffer is garbage: drop it. */
		inlen = 0;
		reply_error("?", "line too long");
	}
	/* End of input with nothing left to do means the driver is gone. */
	if (stdin_eof && job == TG_JOB_NONE && memchr(inbuf, '\n', inlen) == NULL)
		quit_requested = true;
}

/*
 * Queue pairs the port offers: virtio-user's queues= (1 by default), at
 * most TG_MAX_QUEUES. 0 when the port cannot tell.
 */
static uint16_t
port_queues(uint16_t port_id)
{
	struct rte_eth_dev_info info;

	if (rte_eth_dev_info_get(port_id, &info) != 0)
		return 0;
	return RTE_MIN(RTE_MIN(info.max_rx_queues, info.max_tx_queues),
		       (uint16_t)TG_MAX_QUEUES);
}

static int
port_init(uint16_t port_id, struct tg_port *p)
{
	struct rte_eth_dev_info info;
	struct rte_eth_conf conf;
	uint16_t nq = port_queues(port_id);
	int ret;

	memset(&conf, 0, sizeof(conf));
	memset(p, 0, sizeof(*p));
	p->port_id = port_id;
	if (nq == 0)
		return -ENODEV;
	/* Every queue pair the vdev has, so the device enables them all. */
	p->nb_queues = nq;
	ret = rte_eth_dev_configure(port_id, nq, nq, &conf);
	if (ret < 0)
		return ret;
	ret = rte_eth_dev_info_get(port_id, &info);
	if (ret < 0)
		return ret;
	/*
	 * Ask for the most descriptors: virtio caps the request to its
	 * virtqueue (the vdev's queue_size=), while 0 would mean ethdev's
	 * fallback of 512, a smaller ring than the test asked for.
	 */
	for (uint16_t q = 0; q < nq; q++) {
		ret = rte_eth_rx_queue_setup(port_id, q, info.rx_desc_lim.nb_max,
					     rte_eth_dev_socket_id(port_id), NULL, pool);
		if (ret < 0)
			return ret;
		ret = rte_eth_tx_queue_setup(port_id, q, info.tx_desc_lim.nb_max,
					     rte_eth_dev_socket_id(port_id), NULL);
		if (ret < 0)
			return ret;
	}
	ret = rte_eth_dev_start(port_id);
	if (ret < 0)
		return ret;
	/* Without a control queue this fails; vhost delivers everything anyway. */
	rte_eth_promiscuous_enable(port_id);
	return rte_eth_macaddr_get(port_id, &p->mac);
}

static int
parse_own_args(int argc, char **argv, unsigned int *mbufs)
{
	static const struct option longopts[] = {
		{ "mbufs", required_argument, NULL, 'm' },
		{ NULL, 0, NULL, 0 },
	};
	char *end;
	int opt;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (opt) {
		case 'm':
			*mbufs = (unsigned int)strtoul(optarg, &end, 10);
			if (*end != '\0' || *mbufs < 1023) {
				fprintf(stderr, "vs-testguest: --mbufs: at least 1023\n");
				return -1;
			}
			break;
		default:
			fprintf(stderr, "usage: vs-testguest [EAL options] -- [--mbufs N]\n");
			return -1;
		}
	}
	return 0;
}

int
main(int argc, char **argv)
{
	const struct timespec idle = { .tv_sec = 0, .tv_nsec = TG_IDLE_NS };
	const struct timespec busy_nap = { .tv_sec = 0, .tv_nsec = TG_BUSY_NS };
	unsigned int mbufs = 0;
	uint64_t next_stdin = 0;
	uint16_t port_id;
	int ret;

	/* DPDK logs to stdout by default; stdout is for replies only. */
	rte_openlog_stream(stderr);
	ret = rte_eal_init(argc, argv);
	if (ret < 0) {
		fprintf(stderr, "vs-testguest: EAL init failed: %s\n",
			rte_strerror(rte_errno));
		return 1;
	}
	/* EAL leaves the program name in argv[ret], before our options. */
	argc -= ret;
	argv += ret;
	if (parse_own_args(argc, argv, &mbufs) < 0) {
		rte_eal_cleanup();
		return 2;
	}
	n_ports = rte_eth_dev_count_avail();
	if (n_ports == 0 || n_ports > TG_MAX_PORTS) {
		fprintf(stderr, "vs-testguest: %u ports (need 1 to %d --vdev net_virtio_user)\n",
			n_ports, TG_MAX_PORTS);
		rte_eal_cleanup();
		return 1;
	}
	/*
	 * Each queue pair can hold a full rx ring, a full tx ring waiting for
	 * completion, and a burst being built: the default suits rings of up
	 * to 1024 entries (queue_size=); bigger ones need --mbufs.
	 */
	if (mbufs == 0) {
		unsigned int pairs = 0;

		RTE_ETH_FOREACH_DEV(port_id)
			pairs += RTE_MAX(port_queues(port_id), (uint16_t)1);
		mbufs = TG_MBUFS_PER_PORT * pairs + 1023;
	}
	pool = rte_pktmbuf_pool_create("tg_pool", mbufs, 256, 0,
				       RTE_MBUF_DEFAULT_BUF_SIZE, (int)rte_socket_id());
	if (pool == NULL) {
		fprintf(stderr, "vs-testguest: mbuf pool: %s\n", rte_strerror(rte_errno));
		rte_eal_cleanup();
		return 1;
	}
	n_ports = 0;
	RTE_ETH_FOREACH_DEV(port_id) {
		ret = port_init(port_id, &ports[n_ports]);
		if (ret < 0) {
			fprintf(stderr, "vs-testguest: port %u: %s\n", port_id,
				strerror(-ret));
			rte_eal_cleanup();
			return 1;
		}
		n_ports++;
	}
	hz = rte_get_tsc_hz();
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN);
	/* Naps of tens of microseconds are useless with the default 50 us slack. */
	prctl(PR_SET_TIMERSLACK, 1000UL, 0, 0, 0);
	fcntl(STDIN_FILENO, F_SETFL, fcntl(STDIN_FILENO, F_GETFL) | O_NONBLOCK);

	printf("{\"ok\":true,\"cmd\":\"ready\",\"ports\":%u", n_ports);
	reply_end();

	while (!quit_requested && !quit_signal) {
		uint64_t now = rte_rdtsc();
		unsigned int work = 0;
		bool sending = false;

		for (uint16_t i = 0; i < n_ports; i++)
			work += rx_poll(&ports[i]);
		for (int i = 0; i < TG_MAX_STREAMS; i++) {
			if (streams[i].active) {
				sending = true;
				work += sender_run(&streams[i], now);
			}
		}
		if (job == TG_JOB_SEND) {
			sending = true;
			work += sender_run(&send_job, now);
			if (send_job.sent == send_job.count || now >= send_job.deadline_tsc)
				send_finish();
		} else if (job == TG_JOB_WAIT_UP) {
			wait_up_poll(now);
		}
		/* A read() per iteration would cost more than the traffic. */
		if (work == 0 || now >= next_stdin) {
			poll_stdin();
			next_stdin = now + hz / 10000;
		}
		if (work == 0)
			nanosleep(sending || job != TG_JOB_NONE ? &busy_nap : &idle, NULL);
	}

	for (uint16_t i = 0; i < n_ports; i++) {
		rte_eth_dev_stop(ports[i].port_id);
		rte_eth_dev_close(ports[i].port_id);
	}
	if (quit_command) {
		printf("{\"ok\":true,\"cmd\":\"quit\"");
		reply_end();
	}
	rte_mempool_free(pool);
	rte_eal_cleanup();
	return 0;
}
