/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The vhostswitch authors
 */

/*
 * vs-gen: the project's own traffic generator and sink over virtio-user.
 *
 * One process, one lcore, one or more net_virtio_user ports (one per
 * --vdev, in order). Each port generates, sinks, or both. A generator
 * sends IPv4/UDP frames paced by the TSC at a given rate, spread over
 * flows that vary the source MAC (M locally administered addresses), the
 * source IPv4 address and the UDP source port; a sink counts, per stream
 * (the generating port) and per flow, what arrives: frames, reordering,
 * duplicates, and the latency of each frame from the TSC stamped into it
 * (one host's invariant TSC, read by the same process or another one on
 * the same host, so no clock sync is involved). At the end it prints a
 * human summary and, as the last line of stdout, one JSON object.
 *
 *   vs-gen [EAL options] -- [options]     (vs-gen -- --help lists them)
 *
 * Frame (no FCS; --size counts it, as RFC 2544 does): Ethernet, IPv4,
 * UDP to port 5001, then struct gen_hdr: a magic, the stream and flow,
 * a 32-bit per-flow sequence number and the TSC at transmission. 64-byte
 * frames have exactly room for it.
 *
 * Loss is what a stream sent minus the distinct frames its sinks in this
 * process received, after a drain period (a sink in another process
 * counts the streams it gets, but cannot know their loss); a frame whose
 * sequence number is below the highest seen in its flow is reordered (or,
 * when it was seen before, a duplicate). A virtio ring that is full holds the generator
 * back rather than losing frames, so the achieved transmit rate is
 * reported next to the offered one: a rate the switch cannot absorb shows
 * as a shortfall there, a rate it takes in but cannot deliver, as loss.
 */

#include <assert.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>

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

#include "vs_gen_stats.h"

#define GEN_MAX_PORTS 64
#define GEN_MAX_BURST 64
#define GEN_MAX_FLOWS (1u << 24)    /* the flow id has 24 bits */
#define GEN_MAX_MACS (1u << 20)
#define GEN_MAX_STATE (1u << 23)    /* sink flow records, all streams */
#define GEN_MAGIC 0x5647u           /* "VG": a measured frame */
#define GEN_MAGIC_LEARN 0x564cu     /* "VL": a learning frame, not counted */
#define GEN_UDP_DPORT 5001
#define GEN_UDP_SPORT 1024
#define GEN_FCS 4
#define GEN_MIN_SIZE 64
#define GEN_MAX_SIZE 1518
#define GEN_RX_BURSTS 4             /* rx bursts per port per loop turn */
#define GEN_LEARN_TRIES 50
#define GEN_LEARN_WAIT_MS 100
#define GEN_LINK_TIMEOUT_S 10

struct gen_hdr {
	rte_be16_t magic;
	rte_be32_t stream_flow;     /* stream << 24 | flow */
	rte_be32_t seq;
	uint64_t tsc;               /* host order: only this host reads it */
} __rte_packed;

#define GEN_HDRS_LEN (sizeof(struct rte_ether_hdr) + sizeof(struct rte_ipv4_hdr) + \
		      sizeof(struct rte_udp_hdr))
#define GEN_PAYLOAD_OFF GEN_HDRS_LEN

static_assert(GEN_HDRS_LEN + sizeof(struct gen_hdr) == GEN_MIN_SIZE - GEN_FCS,
	      "a 64-byte frame holds the headers and struct gen_hdr exactly");

enum gen_role {
	GEN_ROLE_OFF,
	GEN_ROLE_GEN,
	GEN_ROLE_SINK,
	GEN_ROLE_BOTH,
};

static const char *const role_names[] = { "off", "gen", "sink", "both" };

struct gen_port;

/*
 * A sink's record of one stream (a generator port: of this process, or of
 * another one sending to a sink here, whose sent count is unknown here).
 */
struct stream_rx {
	struct gen_flow_rx *flows;  /* opt.flows records; NULL: none seen */
	const struct gen_port *gen; /* this process's generator, or NULL */
	struct gen_rx_counts c;
};

struct gen_port {
	uint16_t port_id;
	enum gen_role role;
	struct rte_ether_addr mac;
	struct rte_ether_addr dst;
	uint8_t stream;
	uint16_t nb_desc;

	/* Generator: written by the main loop only. */
	uint32_t *seqs;     /* next sequence number per flow */
	uint64_t rate;      /* frames per second; 0: as fast as the ring takes */
	uint64_t sent;
	uint64_t tx_bytes;
	uint64_t stalls;    /* tx bursts the ring did not take whole */
	uint32_t next_flow; /* the flow of the next frame */
	uint32_t next_mac;  /* next_flow % opt.macs, kept without dividing */
	uint64_t frame_no;  /* drives the IMIX size pattern */
	struct rte_mbuf *pending[GEN_MAX_BURST]; /* built, not yet taken */
	uint16_t n_pending;
	uint16_t pending_off;
	bool done;

	/* Sink. */
	uint64_t rx;
	uint64_t rx_bytes;
	uint64_t rx_learn;
	uint64_t rx_foreign;
};

struct gen_opts {
	const char *roles;
	const char *json_path;
	struct rte_ether_addr dst;
	bool have_dst;
	uint64_t rate;
	double duration;
	uint64_t count;
	unsigned int size;  /* 0: IMIX */
	uint32_t flows;
	uint32_t macs;
	unsigned int drain_ms;
	unsigned int burst;
	unsigned int mbufs;
	unsigned int ring;
	unsigned int idle_us;
	unsigned int stream_base;
	bool learn;
	bool whole_bursts;
	bool quiet;
};

static struct gen_opts opt = {
	.duration = 5.0,
	.size = 64,
	.macs = 1,
	.drain_ms = 500,
	.burst = 32,
	.ring = 1024,
	.learn = true,
};

static struct gen_port ports[GEN_MAX_PORTS];
static uint16_t n_ports;
static struct stream_rx streams[GEN_MAX_PORTS];
static uint64_t flow_records; /* allocated in streams[], at most GEN_MAX_STATE */
static struct rte_mempool *pool;
static uint64_t hz;
static struct gen_lat lat;

static inline double
ns(double cycles)
{
	return cycles * 1e9 / (double)hz;
}
static volatile sig_atomic_t stop_signals; /* how many SIGINT/SIGTERM */

/*
 * The simple IMIX, 7:4:1 of 64, 594 and 1518 bytes (IP packets of 40, 576
 * and 1500 bytes), interleaved over 12 frames.
 */
static const uint16_t imix[12] = {
	64, 594, 64, 64, 1518, 64, 594, 64, 64, 594, 64, 594,
};

static void
on_signal(int sig)
{
	RTE_SET_USED(sig);
	stop_signals = stop_signals + 1;
}

static void
usage(FILE *f)
{
	fprintf(f,
"usage: vs-gen [EAL options] -- [options]\n"
"  One port per --vdev net_virtio_user (in order), all polled on one lcore.\n"
"  --roles LIST      gen|sink|both|off per port, comma-separated (default:\n"
"                    gen,sink repeated: even ports generate, odd ones sink)\n"
"  --dst MAC         destination of every generator (default: the MAC of\n"
"                    the port paired with it, port i ^ 1)\n"
"  --rate PPS        offered frames per second, all generators together,\n"
"                    split evenly (0: as fast as the rings take; default 0)\n"
"  --duration SEC    seconds of transmission (0: until --count or SIGINT;\n"
"                    default 5)\n"
"  --count N         frames per generator, then stop (0: no limit); with\n"
"                    no generator here, stop once N frames arrived\n"
"  --size N|imix     frame size with FCS, 64..1518, or imix (7:4:1 of\n"
"                    64/594/1518; default 64)\n"
"  --macs M          source MACs per generator, 1..%u (1: the port's own;\n"
"                    more: 0a:SS:xx:xx:xx:xx, locally administered)\n"
"  --flows N         flows per generator (default: --macs); flow f uses\n"
"                    MAC f %% M, IPv4 10.S.f>>8.f, UDP port 1024 + f>>16\n"
"  --drain MS        after the last frame, wait up to MS for stragglers\n"
"                    (default 500; ends early once every frame arrived)\n"
"  --burst N         frames per tx burst, 1..%d (default 32)\n"
"  --whole-bursts    with --rate, send only whole bursts of --burst frames,\n"
"                    as many per second as the rate makes: the switch then\n"
"                    sees full bursts at any rate, so its busy cycles per\n"
"                    frame are its cost, not its polling (default: send\n"
"                    each frame when due)\n"
"  --ring N          descriptors asked for per rx and tx ring (default 1024;\n"
"                    virtio-user gives at most its queue_size= devarg)\n"
"  --mbufs N         packet pool size (default: by ports and --ring)\n"
"  --no-learn        skip the learning frames sent before the run\n"
"  --idle-sleep US   sleep US microseconds when a loop turn found nothing to\n"
"                    do (for a core shared with others; latency then includes\n"
"                    up to that much; default 0: poll without pause)\n"
"  --stream-base N   stream ids of this process's generators start at N\n"
"                    (default 0; give generators in different processes\n"
"                    feeding one sink distinct ranges)\n"
"  --json FILE       also write the JSON result to FILE\n"
"  --quiet           no human summary, only the JSON line\n"
"  --help            this text\n",
		GEN_MAX_MACS, GEN_MAX_BURST);
}

static int
fail_arg(const char *what, const char *val)
{
	fprintf(stderr, "vs-gen: %s: bad value '%s' (see --help)\n", what, val);
	return -1;
}

static int
parse_u64(const char *what, const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	if (s[0] == '-' || s[0] == '\0')
		return fail_arg(what, s);
	v = strtoull(s, &end, 10);
	if (*end != '\0' || errno != 0 || v < min || v > max)
		return fail_arg(what, s);
	*out = v;
	return 0;
}

static int
parse_args(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "roles", required_argument, NULL, 'r' },
		{ "dst", required_argument, NULL, 'd' },
		{ "rate", required_argument, NULL, 'R' },
		{ "duration", required_argument, NULL, 'T' },
		{ "count", required_argument, NULL, 'c' },
		{ "size", required_argument, NULL, 's' },
		{ "macs", required_argument, NULL, 'm' },
		{ "flows", required_argument, NULL, 'f' },
		{ "drain", required_argument, NULL, 'D' },
		{ "burst", required_argument, NULL, 'b' },
		{ "whole-bursts", no_argument, NULL, 'W' },
		{ "mbufs", required_argument, NULL, 'M' },
		{ "ring", required_argument, NULL, 'g' },
		{ "no-learn", no_argument, NULL, 'L' },
		{ "idle-sleep", required_argument, NULL, 'S' },
		{ "stream-base", required_argument, NULL, 'B' },
		{ "json", required_argument, NULL, 'j' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t v;
	char *end;
	int o;

	optind = 1;
	opterr = 0;
	while ((o = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (o) {
		case 'r':
			opt.roles = optarg;
			break;
		case 'd':
			if (rte_ether_unformat_addr(optarg, &opt.dst) != 0 ||
			    rte_is_multicast_ether_addr(&opt.dst) ||
			    rte_is_zero_ether_addr(&opt.dst))
				return fail_arg("--dst (a unicast MAC)", optarg);
			opt.have_dst = true;
			break;
		case 'R':
			if (parse_u64("--rate", optarg, 0, 1000000000, &v) < 0)
				return -1;
			opt.rate = v;
			break;
		case 'T':
			errno = 0;
			opt.duration = strtod(optarg, &end);
			if (optarg[0] == '\0' || *end != '\0' || errno != 0 ||
			    !(opt.duration >= 0 && opt.duration <= 86400))
				return fail_arg("--duration (0 to 86400 seconds)", optarg);
			break;
		case 'c':
			if (parse_u64("--count", optarg, 0, UINT32_MAX, &v) < 0)
				return -1;
			opt.count = v;
			break;
		case 's':
			if (strcmp(optarg, "imix") == 0) {
				opt.size = 0;
				break;
			}
			if (parse_u64("--size (64..1518 or imix)", optarg, GEN_MIN_SIZE,
				      GEN_MAX_SIZE, &v) < 0)
				return -1;
			opt.size = (unsigned int)v;
			break;
		case 'm':
			if (parse_u64("--macs", optarg, 1, GEN_MAX_MACS, &v) < 0)
				return -1;
			opt.macs = (uint32_t)v;
			break;
		case 'f':
			if (parse_u64("--flows", optarg, 1, GEN_MAX_FLOWS, &v) < 0)
				return -1;
			opt.flows = (uint32_t)v;
			break;
		case 'D':
			if (parse_u64("--drain (milliseconds)", optarg, 0, 600000, &v) < 0)
				return -1;
			opt.drain_ms = (unsigned int)v;
			break;
		case 'b':
			if (parse_u64("--burst", optarg, 1, GEN_MAX_BURST, &v) < 0)
				return -1;
			opt.burst = (unsigned int)v;
			break;
		case 'W':
			opt.whole_bursts = true;
			break;
		case 'M':
			if (parse_u64("--mbufs", optarg, 1023, 1u << 24, &v) < 0)
				return -1;
			opt.mbufs = (unsigned int)v;
			break;
		case 'g':
			if (parse_u64("--ring", optarg, 64, 32768, &v) < 0)
				return -1;
			opt.ring = (unsigned int)v;
			break;
		case 'L':
			opt.learn = false;
			break;
		case 'B':
			if (parse_u64("--stream-base", optarg, 0, GEN_MAX_PORTS - 1, &v) < 0)
				return -1;
			opt.stream_base = (unsigned int)v;
			break;
		case 'S':
			if (parse_u64("--idle-sleep (microseconds)", optarg, 0, 100000, &v) < 0)
				return -1;
			opt.idle_us = (unsigned int)v;
			break;
		case 'j':
			opt.json_path = optarg;
			break;
		case 'q':
			opt.quiet = true;
			break;
		case 'h':
			usage(stdout);
			return 1;
		default:
			if (optopt != 0)
				fprintf(stderr, "vs-gen: option --%s needs a value (see --help)\n",
					argv[optind - 1] + 2);
			else
				fprintf(stderr, "vs-gen: unknown option '%s' (see --help)\n",
					argv[optind - 1]);
			return -1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "vs-gen: unexpected argument '%s' (see --help)\n",
			argv[optind]);
		return -1;
	}
	if (opt.flows == 0)
		opt.flows = opt.macs;
	if (opt.flows < opt.macs) {
		fprintf(stderr, "vs-gen: --flows %u is fewer than --macs %u\n",
			opt.flows, opt.macs);
		return -1;
	}
	if (opt.duration == 0 && opt.count == 0) {
		fprintf(stderr, "vs-gen: --duration 0 needs --count\n");
		return -1;
	}
	return 0;
}

/* Roles from --roles, or the default gen,sink,gen,sink... */
static int
assign_roles(void)
{
	char buf[1024];
	char *save = NULL, *tok;
	uint16_t i = 0;

	if (opt.roles == NULL) {
		for (i = 0; i < n_ports; i++)
			ports[i].role = (i % 2 == 0 && i + 1 < n_ports) ? GEN_ROLE_GEN :
					(i % 2 == 1) ? GEN_ROLE_SINK :
					opt.have_dst ? GEN_ROLE_GEN : GEN_ROLE_SINK;
		return 0;
	}
	if (strlen(opt.roles) >= sizeof(buf))
		return fail_arg("--roles", "(too long)");
	strcpy(buf, opt.roles);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		unsigned int r;

		if (i == n_ports) {
			fprintf(stderr, "vs-gen: --roles names more than the %u ports\n",
				n_ports);
			return -1;
		}
		for (r = 0; r < RTE_DIM(role_names); r++)
			if (strcmp(tok, role_names[r]) == 0)
				break;
		if (r == RTE_DIM(role_names))
			return fail_arg("--roles (gen, sink, both or off)", tok);
		ports[i++].role = (enum gen_role)r;
	}
	if (i != n_ports) {
		fprintf(stderr, "vs-gen: --roles names %u ports, there are %u\n", i,
			n_ports);
		return -1;
	}
	return 0;
}

static inline bool
is_gen(const struct gen_port *p)
{
	return p->role == GEN_ROLE_GEN || p->role == GEN_ROLE_BOTH;
}

static inline bool
is_sink(const struct gen_port *p)
{
	return p->role == GEN_ROLE_SINK || p->role == GEN_ROLE_BOTH;
}

/* Source MAC number m (flow m + k * opt.macs) of generator p. */
static inline void
flow_mac(const struct gen_port *p, uint32_t m, struct rte_ether_addr *a)
{
	if (opt.macs == 1) {
		*a = p->mac;
		return;
	}
	a->addr_bytes[0] = 0x0a; /* locally administered, unicast */
	a->addr_bytes[1] = p->stream;
	a->addr_bytes[2] = (uint8_t)(m >> 24);
	a->addr_bytes[3] = (uint8_t)(m >> 16);
	a->addr_bytes[4] = (uint8_t)(m >> 8);
	a->addr_bytes[5] = (uint8_t)m;
}

static inline uint16_t
frame_len(struct gen_port *p)
{
	uint16_t size = opt.size ? (uint16_t)opt.size : imix[p->frame_no % RTE_DIM(imix)];

	p->frame_no++;
	return size - GEN_FCS;
}

/*
 * Writes a whole frame of flow f, source MAC number mac, into m; len
 * excludes the FCS.
 */
static void
build_frame(const struct gen_port *p, struct rte_mbuf *m, uint16_t len,
	    uint32_t f, uint32_t mac, uint16_t magic, uint32_t seq, uint64_t tsc)
{
	uint8_t *d = (uint8_t *)rte_pktmbuf_append(m, len);
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)d;
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eth + 1);
	struct rte_udp_hdr *udp = (struct rte_udp_hdr *)(ip + 1);
	struct gen_hdr *h = (struct gen_hdr *)(udp + 1);

	eth->dst_addr = p->dst;
	flow_mac(p, mac, &eth->src_addr);
	eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->type_of_service = 0;
	ip->total_length = rte_cpu_to_be_16(len - sizeof(*eth));
	ip->packet_id = 0;
	ip->fragment_offset = rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG);
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_UDP;
	ip->hdr_checksum = 0;
	ip->src_addr = rte_cpu_to_be_32(RTE_IPV4(10, p->stream, (f >> 8) & 0xff, f & 0xff));
	ip->dst_addr = rte_cpu_to_be_32(RTE_IPV4(10, 255, p->stream, 1));
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	udp->src_port = rte_cpu_to_be_16((uint16_t)(GEN_UDP_SPORT + (f >> 16)));
	udp->dst_port = rte_cpu_to_be_16(GEN_UDP_DPORT);
	udp->dgram_len = rte_cpu_to_be_16(len - sizeof(*eth) - sizeof(*ip));
	udp->dgram_cksum = 0; /* none: IPv4 allows it */
	h->magic = rte_cpu_to_be_16(magic);
	h->stream_flow = rte_cpu_to_be_32((uint32_t)p->stream << 24 | f);
	h->seq = rte_cpu_to_be_32(seq);
	h->tsc = tsc;
}

/*
 * Starts tracking a stream: at set-up for this process's generators, and
 * on its first frame for another process's (not on the fast path again).
 */
static int
stream_track(unsigned int stream)
{
	struct stream_rx *s = &streams[stream];

	if (flow_records + opt.flows > GEN_MAX_STATE)
		return -ENOSPC;
	s->flows = calloc(opt.flows, sizeof(*s->flows));
	if (s->flows == NULL)
		return -ENOMEM;
	flow_records += opt.flows;
	return 0;
}

static void
rx_one(struct gen_port *p, struct rte_mbuf *m, uint64_t now)
{
	const struct gen_hdr *h;
	struct gen_hdr copy;
	struct stream_rx *s;
	uint32_t sf, stream, flow;

	if (m->pkt_len < GEN_HDRS_LEN + sizeof(*h)) {
		p->rx_foreign++;
		return;
	}
	h = rte_pktmbuf_read(m, GEN_PAYLOAD_OFF, sizeof(*h), &copy);
	if (h->magic != rte_cpu_to_be_16(GEN_MAGIC)) {
		if (h->magic == rte_cpu_to_be_16(GEN_MAGIC_LEARN))
			p->rx_learn++;
		else
			p->rx_foreign++;
		return;
	}
	sf = rte_be_to_cpu_32(h->stream_flow);
	stream = sf >> 24;
	flow = sf & 0xffffff;
	if (stream >= GEN_MAX_PORTS || flow >= opt.flows ||
	    (streams[stream].flows == NULL && stream_track(stream) < 0)) {
		p->rx_foreign++;
		return;
	}
	p->rx++;
	p->rx_bytes += m->pkt_len + GEN_FCS;
	s = &streams[stream];
	gen_flow_account(&s->c, &s->flows[flow], rte_be_to_cpu_32(h->seq));
	if (now >= h->tsc)
		gen_lat_record(&lat, now - h->tsc);
}

static unsigned int
rx_poll(struct gen_port *p)
{
	struct rte_mbuf *pkts[GEN_MAX_BURST];
	unsigned int total = 0;

	for (int b = 0; b < GEN_RX_BURSTS; b++) {
		uint16_t n = rte_eth_rx_burst(p->port_id, 0, pkts, GEN_MAX_BURST);
		uint64_t now = rte_rdtsc();

		for (uint16_t i = 0; i < n; i++)
			rx_one(p, pkts[i], now);
		rte_pktmbuf_free_bulk(pkts, n);
		total += n;
		if (n < GEN_MAX_BURST)
			break;
	}
	return total;
}

/*
 * Sends what the schedule says is due, one burst per call so that the
 * sinks keep being polled. Frames the ring did not take stay pending and
 * go first next time, so a flow's order is kept.
 */
static unsigned int
gen_run(struct gen_port *p, uint64_t start, uint64_t now)
{
	uint64_t due = opt.count ? opt.count : UINT64_MAX;
	uint16_t n, k;

	if (p->n_pending == 0) {
		if (p->rate) {
			uint64_t sched = (uint64_t)((double)(now - start) *
						    (double)p->rate / (double)hz) + 1;

			due = RTE_MIN(due, sched);
			/* Whole bursts only; a counted run's last one may be short. */
			if (opt.whole_bursts && due - RTE_MIN(due, p->sent) < opt.burst &&
			    (!opt.count || due < opt.count))
				return 0;
		}
		if (due <= p->sent)
			return 0;
		n = (uint16_t)RTE_MIN(due - p->sent, (uint64_t)opt.burst);
		if (rte_pktmbuf_alloc_bulk(pool, p->pending, n) != 0)
			return 0;
		/* Flows in turn; two divisions a frame would cost more. */
		for (uint16_t i = 0; i < n; i++) {
			uint32_t f = p->next_flow;

			build_frame(p, p->pending[i], frame_len(p), f, p->next_mac,
				    GEN_MAGIC, p->seqs[f]++, now);
			if (++p->next_mac == opt.macs)
				p->next_mac = 0;
			if (++p->next_flow == opt.flows)
				p->next_flow = p->next_mac = 0;
		}
		p->n_pending = n;
		p->pending_off = 0;
	}
	n = p->n_pending - p->pending_off;
	k = rte_eth_tx_burst(p->port_id, 0, p->pending + p->pending_off, n);
	for (uint16_t i = 0; i < k; i++)
		p->tx_bytes += p->pending[p->pending_off + i]->pkt_len + GEN_FCS;
	p->sent += k;
	p->pending_off += k;
	if (k < n)
		p->stalls++;
	if (p->pending_off == p->n_pending)
		p->n_pending = 0;
	return k;
}

/*
 * Sends n learning frames through p, retrying a full ring for a while:
 * broadcasts from the port's own MAC, or one unicast from each of the
 * first n flows' source MACs.
 */
static void
send_learning(struct gen_port *p, uint32_t n, bool bcast)
{
	struct rte_mbuf *pkts[GEN_MAX_BURST];
	/* A second, and ten more for every million frames. */
	uint64_t deadline = rte_rdtsc() + hz + hz * n / 100000;
	uint32_t done = 0;
	struct gen_port tmp = *p;

	if (bcast)
		memset(&tmp.dst, 0xff, sizeof(tmp.dst));
	while (done < n && rte_rdtsc() < deadline) {
		uint16_t b = (uint16_t)RTE_MIN(n - done, (uint32_t)GEN_MAX_BURST);
		uint16_t k;

		if (rte_pktmbuf_alloc_bulk(pool, pkts, b) != 0)
			return;
		for (uint16_t i = 0; i < b; i++) {
			if (bcast) {
				build_frame(&tmp, pkts[i], GEN_MIN_SIZE - GEN_FCS, 0, 0,
					    GEN_MAGIC_LEARN, 0, 0);
				rte_ether_addr_copy(&p->mac,
					&rte_pktmbuf_mtod(pkts[i], struct rte_ether_hdr *)->src_addr);
			} else {
				/* Flow f < opt.macs has MAC number f. */
				build_frame(&tmp, pkts[i], GEN_MIN_SIZE - GEN_FCS,
					    done + i, done + i, GEN_MAGIC_LEARN, 0, 0);
			}
		}
		k = rte_eth_tx_burst(p->port_id, 0, pkts, b);
		rte_pktmbuf_free_bulk(pkts + k, b - k);
		done += k;
		for (uint16_t i = 0; i < n_ports; i++)
			if (is_sink(&ports[i]))
				rx_poll(&ports[i]);
	}
}

static void
poll_sinks_for(uint64_t cycles)
{
	uint64_t end = rte_rdtsc() + cycles;

	while (rte_rdtsc() < end)
		for (uint16_t i = 0; i < n_ports; i++)
			if (is_sink(&ports[i]))
				rx_poll(&ports[i]);
}

/*
 * Before the run, like RFC 2544's learning frames: every port broadcasts
 * once from its own MAC, so the switch knows where the sinks are, and
 * every generator with more than its own MAC sends one frame from each
 * of its source MACs, so the run measures forwarding, not learning. A
 * broadcast that did not reach this process's other ports (a ring that
 * was not ready yet right after attach) is sent again.
 */
static void
learn(void)
{
	uint64_t want;

	for (int t = 0; t < GEN_LEARN_TRIES; t++) {
		uint64_t before[GEN_MAX_PORTS];
		bool all = true;

		for (uint16_t i = 0; i < n_ports; i++)
			before[i] = ports[i].rx_learn;
		for (uint16_t i = 0; i < n_ports; i++)
			if (ports[i].role != GEN_ROLE_OFF)
				send_learning(&ports[i], 1, true);
		poll_sinks_for(hz * GEN_LEARN_WAIT_MS / 1000);
		for (uint16_t i = 0; i < n_ports; i++) {
			want = 0;
			for (uint16_t j = 0; j < n_ports; j++)
				if (j != i && ports[j].role != GEN_ROLE_OFF)
					want++;
			if (is_sink(&ports[i]) && ports[i].rx_learn - before[i] < want)
				all = false;
		}
		if (all)
			break;
	}
	if (opt.macs > 1) {
		for (uint16_t i = 0; i < n_ports; i++)
			if (is_gen(&ports[i]))
				send_learning(&ports[i], opt.macs, false);
		poll_sinks_for(hz * GEN_LEARN_WAIT_MS / 1000);
	}
}

static bool
link_up(uint16_t port_id)
{
	struct rte_eth_link link;

	memset(&link, 0, sizeof(link));
	return rte_eth_link_get_nowait(port_id, &link) == 0 &&
	       link.link_status == RTE_ETH_LINK_UP;
}

static int
port_configure(struct gen_port *p)
{
	struct rte_eth_dev_info info;
	struct rte_eth_conf conf;
	int ret;

	memset(&conf, 0, sizeof(conf));
	ret = rte_eth_dev_configure(p->port_id, 1, 1, &conf);
	if (ret < 0)
		return ret;
	ret = rte_eth_dev_info_get(p->port_id, &info);
	if (ret < 0)
		return ret;
	/* The vdev's queue_size= caps virtio's rings at what it was given. */
	p->nb_desc = (uint16_t)RTE_MIN(opt.ring, (unsigned int)RTE_MIN(
		info.rx_desc_lim.nb_max, info.tx_desc_lim.nb_max));
	return rte_eth_macaddr_get(p->port_id, &p->mac);
}

static int
port_start(struct gen_port *p)
{
	int ret;

	ret = rte_eth_rx_queue_setup(p->port_id, 0, p->nb_desc,
				     rte_eth_dev_socket_id(p->port_id), NULL, pool);
	if (ret < 0)
		return ret;
	ret = rte_eth_tx_queue_setup(p->port_id, 0, p->nb_desc,
				     rte_eth_dev_socket_id(p->port_id), NULL);
	if (ret < 0)
		return ret;
	ret = rte_eth_dev_start(p->port_id);
	if (ret < 0)
		return ret;
	/* Without a control queue this fails; vhost delivers everything anyway. */
	rte_eth_promiscuous_enable(p->port_id);
	return 0;
}

static void
mac_str(const struct rte_ether_addr *a, char *buf)
{
	rte_ether_format_addr(buf, RTE_ETHER_ADDR_FMT_SIZE, a);
}

struct totals {
	uint64_t tx, rx, lost, reordered, duplicates, tx_bytes, rx_bytes;
	uint64_t foreign, stalls;
	uint64_t tx_local;  /* sent by generators whose sinks are here */
	double elapsed;
};

static void
print_json(FILE *f, const struct totals *t)
{
	char mac[RTE_ETHER_ADDR_FMT_SIZE];
	uint16_t i;
	bool first;
	double e = t->elapsed > 0 ? t->elapsed : 1;

	fprintf(f, "{\"tool\":\"vs-gen\",\"tsc_hz\":%" PRIu64, hz);
	if (opt.size)
		fprintf(f, ",\"size\":%u", opt.size);
	else
		fprintf(f, ",\"size\":\"imix\"");
	fprintf(f, ",\"offered_pps\":%" PRIu64 ",\"duration_s\":%.6f"
		",\"count\":%" PRIu64 ",\"flows\":%u,\"macs\":%u,\"burst\":%u"
		",\"whole_bursts\":%s",
		opt.rate, t->elapsed, opt.count, opt.flows, opt.macs, opt.burst,
		opt.whole_bursts ? "true" : "false");
	fprintf(f, ",\"tx_packets\":%" PRIu64 ",\"rx_packets\":%" PRIu64,
		t->tx, t->rx);
	/* Loss is known for frames whose sinks are in this process. */
	if (t->tx_local || t->tx == 0)
		fprintf(f, ",\"lost\":%" PRIu64 ",\"loss_ratio\":%.9f", t->lost,
			t->tx_local ? (double)t->lost / (double)t->tx_local : 0.0);
	else
		fprintf(f, ",\"lost\":null,\"loss_ratio\":null");
	fprintf(f, ",\"reordered\":%" PRIu64 ",\"duplicates\":%" PRIu64
		",\"rx_foreign\":%" PRIu64 ",\"tx_stalls\":%" PRIu64
		",\"tx_pps\":%.1f,\"rx_pps\":%.1f,\"tx_bps\":%.1f,\"rx_bps\":%.1f",
		t->reordered, t->duplicates, t->foreign, t->stalls,
		(double)t->tx / e, (double)t->rx / e,
		(double)t->tx_bytes * 8 / e, (double)t->rx_bytes * 8 / e);
	fprintf(f, ",\"latency_ns\":");
	if (lat.n == 0)
		fprintf(f, "null");
	else
		fprintf(f, "{\"samples\":%" PRIu64 ",\"min\":%.1f,\"mean\":%.1f"
			",\"p50\":%.1f,\"p99\":%.1f,\"p99.9\":%.1f,\"max\":%.1f}",
			lat.n, ns((double)lat.min), ns((double)lat.sum / (double)lat.n),
			ns(gen_lat_quantile(&lat, 0.5)), ns(gen_lat_quantile(&lat, 0.99)),
			ns(gen_lat_quantile(&lat, 0.999)), ns((double)lat.max));
	fprintf(f, ",\"ports\":[");
	for (i = 0; i < n_ports; i++) {
		const struct gen_port *p = &ports[i];

		mac_str(&p->mac, mac);
		fprintf(f, "%s{\"port\":%u,\"mac\":\"%s\",\"role\":\"%s\",\"ring\":%u"
			",\"tx_packets\":%" PRIu64 ",\"tx_bytes\":%" PRIu64
			",\"tx_stalls\":%" PRIu64 ",\"rx_packets\":%" PRIu64
			",\"rx_bytes\":%" PRIu64 ",\"rx_foreign\":%" PRIu64 "}",
			i ? "," : "", i, mac, role_names[p->role], p->nb_desc,
			p->sent, p->tx_bytes, p->stalls, p->rx, p->rx_bytes,
			p->rx_foreign);
	}
	fprintf(f, "],\"streams\":[");
	first = true;
	for (i = 0; i < GEN_MAX_PORTS; i++) {
		const struct stream_rx *s = &streams[i];
		uint64_t uniq = s->c.rx - s->c.duplicates;

		if (s->flows == NULL)
			continue;
		fprintf(f, "%s{\"stream\":%u", first ? "" : ",", i);
		if (s->gen != NULL) {
			mac_str(&s->gen->dst, mac);
			fprintf(f, ",\"port\":%u,\"dst\":\"%s\",\"tx_packets\":%" PRIu64
				",\"lost\":%" PRIu64, (unsigned int)(s->gen - ports), mac,
				s->gen->sent, s->gen->sent > uniq ? s->gen->sent - uniq : 0);
		} else {
			/* Another process's: what it sent is not known here. */
			fprintf(f, ",\"port\":null,\"tx_packets\":null,\"lost\":null");
		}
		fprintf(f, ",\"rx_packets\":%" PRIu64 ",\"reordered\":%" PRIu64
			",\"duplicates\":%" PRIu64 "}", s->c.rx, s->c.reordered,
			s->c.duplicates);
		first = false;
	}
	fprintf(f, "]}\n");
}

static void
print_human(const struct totals *t)
{
	double e = t->elapsed > 0 ? t->elapsed : 1;

	printf("vs-gen: %u ports, ", n_ports);
	if (opt.size)
		printf("%u-byte frames", opt.size);
	else
		printf("IMIX frames");
	printf(", %u flows, %u MACs per generator, offered %s", opt.flows,
	       opt.macs, opt.rate ? "" : "as fast as possible");
	if (opt.rate)
		printf("%.3f Mpps", (double)opt.rate / 1e6);
	printf(", %.2f s\n", t->elapsed);
	printf("  tx %" PRIu64 " (%.3f Mpps, %.3f Gbit/s, %" PRIu64 " stalls)"
	       "  rx %" PRIu64 " (%.3f Mpps, %.3f Gbit/s)\n",
	       t->tx, (double)t->tx / e / 1e6, (double)t->tx_bytes * 8 / e / 1e9,
	       t->stalls, t->rx, (double)t->rx / e / 1e6,
	       (double)t->rx_bytes * 8 / e / 1e9);
	if (t->tx_local || t->tx == 0)
		printf("  lost %" PRIu64 " (%.4f%%)", t->lost,
		       t->tx_local ? 100.0 * (double)t->lost / (double)t->tx_local : 0.0);
	else
		printf("  lost unknown (no sink of these frames here)");
	printf("  reordered %" PRIu64 "  duplicates %" PRIu64 "  foreign %" PRIu64 "\n",
	       t->reordered, t->duplicates, t->foreign);
	if (lat.n)
		printf("  latency ns: min %.0f  p50 %.0f  p99 %.0f  p99.9 %.0f  max %.0f"
		       "  (%" PRIu64 " samples)\n",
		       ns((double)lat.min), ns(gen_lat_quantile(&lat, 0.5)),
		       ns(gen_lat_quantile(&lat, 0.99)), ns(gen_lat_quantile(&lat, 0.999)),
		       ns((double)lat.max), lat.n);
}

/*
 * Every frame sent here arrived at a sink here. False when some were sent
 * to sinks elsewhere: then the whole drain period passes, which also
 * gives the switch time to take the last frames out of the tx rings
 * before the ports close.
 */
static bool
all_received(void)
{
	for (uint16_t i = 0; i < n_ports; i++)
		if (is_gen(&ports[i]) && ports[i].sent &&
		    streams[ports[i].stream].gen == NULL)
			return false;
	for (unsigned int i = 0; i < GEN_MAX_PORTS; i++) {
		const struct stream_rx *s = &streams[i];

		if (s->gen != NULL && s->c.rx - s->c.duplicates < s->gen->sent)
			return false;
	}
	return true;
}

/* Measured frames received by all sinks here. */
static uint64_t
sunk(void)
{
	uint64_t n = 0;

	for (uint16_t i = 0; i < n_ports; i++)
		n += ports[i].rx;
	return n;
}

static void
run(struct totals *t)
{
	const struct timespec idle = {
		.tv_sec = 0, .tv_nsec = (long)opt.idle_us * 1000,
	};
	uint64_t start, end, now, drain_end = 0;
	bool sending = true;
	unsigned int ngen = 0, k = 0;

	for (uint16_t i = 0; i < n_ports; i++)
		ngen += is_gen(&ports[i]);
	for (uint16_t i = 0; i < n_ports; i++) {
		struct gen_port *p = &ports[i];

		if (!is_gen(p))
			continue;
		/* The remainder goes to the first generators: the sum is exact. */
		p->rate = opt.rate / ngen + (k++ < opt.rate % ngen ? 1 : 0);
		if (opt.rate && p->rate == 0)
			p->done = true;
	}
	start = rte_rdtsc();
	end = opt.duration > 0 ? start + (uint64_t)(opt.duration * (double)hz) : UINT64_MAX;
	for (;;) {
		unsigned int work = 0;
		/* Sinks alone run for the duration, or until --count arrived. */
		bool any = ngen == 0 && (opt.count == 0 || sunk() < opt.count);

		now = rte_rdtsc();
		for (uint16_t i = 0; i < n_ports; i++)
			if (is_sink(&ports[i]))
				work += rx_poll(&ports[i]);
		if (sending) {
			for (uint16_t i = 0; i < n_ports; i++) {
				struct gen_port *p = &ports[i];

				if (!is_gen(p) || p->done)
					continue;
				work += gen_run(p, start, now);
				if (opt.count && p->sent == opt.count)
					p->done = true;
				any |= !p->done;
			}
			if (!any || now >= end || stop_signals) {
				sending = false;
				t->elapsed = (double)(rte_rdtsc() - start) / (double)hz;
				drain_end = rte_rdtsc() + hz * opt.drain_ms / 1000;
				/* Frames built but never taken were never sent. */
				for (uint16_t i = 0; i < n_ports; i++) {
					struct gen_port *p = &ports[i];

					if (p->n_pending > p->pending_off)
						rte_pktmbuf_free_bulk(p->pending + p->pending_off,
							p->n_pending - p->pending_off);
					p->n_pending = p->pending_off = 0;
				}
			}
		} else if (rte_rdtsc() >= drain_end || (ngen && all_received()) ||
			   stop_signals > 1) {
			break;
		}
		if (work == 0 && opt.idle_us)
			nanosleep(&idle, NULL);
	}
	for (uint16_t i = 0; i < n_ports; i++) {
		const struct gen_port *p = &ports[i];

		t->tx += p->sent;
		t->tx_bytes += p->tx_bytes;
		t->stalls += p->stalls;
		t->rx += p->rx;
		t->rx_bytes += p->rx_bytes;
		t->foreign += p->rx_foreign;
	}
	for (unsigned int i = 0; i < GEN_MAX_PORTS; i++) {
		const struct stream_rx *s = &streams[i];
		uint64_t uniq = s->c.rx - s->c.duplicates;

		t->reordered += s->c.reordered;
		t->duplicates += s->c.duplicates;
		if (s->gen != NULL) {
			t->tx_local += s->gen->sent;
			t->lost += s->gen->sent > uniq ? s->gen->sent - uniq : 0;
		}
	}
}

int
main(int argc, char **argv)
{
	struct totals t;
	uint16_t port_id;
	unsigned int nsinks = 0;
	uint64_t state = 0;
	int ret;

	/* stdout is for the summary and the JSON line; DPDK logs to stderr. */
	rte_openlog_stream(stderr);
	/* Our --help needs no EAL (EAL's own, before "--", is EAL's). */
	for (int i = 1, ours = 0; i < argc; i++) {
		if (!ours && strcmp(argv[i], "--") == 0)
			ours = 1;
		else if (ours && strcmp(argv[i], "--help") == 0) {
			usage(stdout);
			return 0;
		}
	}
	ret = rte_eal_init(argc, argv);
	if (ret < 0) {
		fprintf(stderr, "vs-gen: EAL init failed: %s\n", rte_strerror(rte_errno));
		return 2;
	}
	argc -= ret;
	argv += ret;
	ret = parse_args(argc, argv);
	if (ret != 0) {
		rte_eal_cleanup();
		return ret > 0 ? 0 : 2;
	}
	n_ports = rte_eth_dev_count_avail();
	if (n_ports == 0 || n_ports + opt.stream_base > GEN_MAX_PORTS) {
		fprintf(stderr, "vs-gen: %u ports from stream %u; give 1 to %u --vdev net_virtio_user,...\n",
			n_ports, opt.stream_base, GEN_MAX_PORTS - opt.stream_base);
		rte_eal_cleanup();
		return 2;
	}
	if (assign_roles() < 0) {
		rte_eal_cleanup();
		return 2;
	}
	hz = rte_get_tsc_hz();
	gen_lat_init(&lat);
	n_ports = 0;
	RTE_ETH_FOREACH_DEV(port_id) {
		struct gen_port *p = &ports[n_ports];

		p->port_id = port_id;
		p->stream = (uint8_t)(opt.stream_base + n_ports);
		ret = port_configure(p);
		if (ret < 0) {
			fprintf(stderr, "vs-gen: port %u: %s\n", n_ports, strerror(-ret));
			rte_eal_cleanup();
			return 1;
		}
		n_ports++;
	}
	for (uint16_t i = 0; i < n_ports; i++) {
		struct gen_port *p = &ports[i];

		nsinks += is_sink(p);
		if (!is_gen(p))
			continue;
		if (opt.have_dst) {
			p->dst = opt.dst;
		} else if ((i ^ 1) < n_ports) {
			p->dst = ports[i ^ 1].mac;
		} else {
			fprintf(stderr, "vs-gen: port %u generates but has no pair; give --dst\n", i);
			rte_eal_cleanup();
			return 2;
		}
		p->seqs = calloc(opt.flows, sizeof(*p->seqs));
		state += opt.flows;
		if (p->seqs == NULL) {
			fprintf(stderr, "vs-gen: out of memory for %u flows\n", opt.flows);
			rte_eal_cleanup();
			return 1;
		}
	}
	/* A stream is tracked when some port here sinks. */
	if (nsinks && state > GEN_MAX_STATE) {
		fprintf(stderr, "vs-gen: %" PRIu64 " flows in all; at most %u can be tracked\n",
			state, GEN_MAX_STATE);
		rte_eal_cleanup();
		return 2;
	}
	for (uint16_t i = 0; i < n_ports && nsinks; i++) {
		if (!is_gen(&ports[i]))
			continue;
		if (stream_track(ports[i].stream) < 0) {
			fprintf(stderr, "vs-gen: out of memory for %u flows\n", opt.flows);
			rte_eal_cleanup();
			return 1;
		}
		streams[ports[i].stream].gen = &ports[i];
	}
	if (opt.mbufs == 0) {
		/* Per port: a full rx ring, a full tx ring, bursts in hand. */
		opt.mbufs = 1023;
		for (uint16_t i = 0; i < n_ports; i++)
			opt.mbufs += 2u * ports[i].nb_desc + 2 * GEN_MAX_BURST;
	}
	pool = rte_pktmbuf_pool_create("gen_pool", opt.mbufs, 256, 0,
				       RTE_MBUF_DEFAULT_BUF_SIZE, (int)rte_socket_id());
	if (pool == NULL) {
		fprintf(stderr, "vs-gen: mbuf pool of %u: %s\n", opt.mbufs,
			rte_strerror(rte_errno));
		rte_eal_cleanup();
		return 1;
	}
	for (uint16_t i = 0; i < n_ports; i++) {
		ret = port_start(&ports[i]);
		if (ret < 0) {
			fprintf(stderr, "vs-gen: port %u: start: %s\n", i, strerror(-ret));
			rte_eal_cleanup();
			return 1;
		}
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	/* Naps of tens of microseconds are useless with the default 50 us slack. */
	prctl(PR_SET_TIMERSLACK, 1000UL, 0, 0, 0);

	ret = 0;
	for (uint64_t deadline = rte_rdtsc() + GEN_LINK_TIMEOUT_S * hz;;) {
		bool up = true;

		for (uint16_t i = 0; i < n_ports; i++)
			up &= link_up(ports[i].port_id);
		if (up)
			break;
		if (rte_rdtsc() >= deadline || stop_signals) {
			fprintf(stderr, "vs-gen: links not up within %d s\n",
				GEN_LINK_TIMEOUT_S);
			ret = 1;
			break;
		}
		rte_delay_ms(10);
	}
	if (ret == 0) {
		if (opt.learn)
			learn();
		for (uint16_t i = 0; i < n_ports; i++)
			ports[i].rx_learn = 0;
		memset(&t, 0, sizeof(t));
		/* Scripts read the switch's counters from here on. */
		fprintf(stderr, "vs-gen: learning done, sending\n");
		fflush(stderr);
		run(&t);
		if (!opt.quiet)
			print_human(&t);
		print_json(stdout, &t);
		fflush(stdout);
		if (opt.json_path) {
			FILE *f = fopen(opt.json_path, "w");

			if (f == NULL || (print_json(f, &t), fclose(f) != 0)) {
				fprintf(stderr, "vs-gen: cannot write %s: %s\n",
					opt.json_path, strerror(errno));
				ret = 1;
			}
		}
	}
	for (uint16_t i = 0; i < n_ports; i++) {
		rte_eth_dev_stop(ports[i].port_id);
		rte_eth_dev_close(ports[i].port_id);
		free(ports[i].seqs);
	}
	for (unsigned int i = 0; i < GEN_MAX_PORTS; i++)
		free(streams[i].flows);
	rte_mempool_free(pool);
	rte_eal_cleanup();
	return ret;
}
