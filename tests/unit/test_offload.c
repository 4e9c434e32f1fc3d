/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The vhostswitch authors
 */

/*
 * Unit tests of the offload decisions and of the software checksum and
 * segmentation, on crafted frames in mbufs. EAL runs without hugepages
 * (--no-huge, --no-shconf): only a mempool is needed.
 *
 * Checksums are checked against a one's complement sum written here from
 * RFC 1071, over a flat copy of the frame, not against DPDK's own helpers.
 */

#include <arpa/inet.h>
#include <linux/virtio_net.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include "vs_cunit.h"
#include "vs_offload.h"

#define NB_MBUFS 1023
#define SEG_ROOM 2048

static struct rte_mempool *pool;

/* RFC 1071: the one's complement of the one's complement sum. */
static uint32_t
sum16(const uint8_t *p, size_t len, uint32_t sum)
{
	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	return sum;
}

static uint16_t
fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/*
 * The L4 checksum a frame (flat, from its Ethernet header) must carry,
 * in host order, computed with the checksum field taken as zero.
 */
static uint16_t
ref_l4_cksum(const uint8_t *f, size_t l3off, bool v6)
{
	uint8_t proto;
	size_t l4off, l4len;
	uint32_t sum = 0;
	uint8_t l4[65536];
	size_t field;

	if (!v6) {
		const uint8_t *ip = f + l3off;
		size_t ihl = (ip[0] & 0xf) * 4;
		size_t tot = (size_t)(ip[2] << 8 | ip[3]);

		proto = ip[9];
		l4off = l3off + ihl;
		l4len = tot - ihl;
		sum = sum16(ip + 12, 8, 0);
	} else {
		const uint8_t *ip = f + l3off;

		proto = ip[6];
		l4off = l3off + 40;
		l4len = (size_t)(ip[4] << 8 | ip[5]);
		sum = sum16(ip + 8, 32, 0);
	}
	sum += proto;
	sum += (uint32_t)l4len;
	memcpy(l4, f + l4off, l4len);
	field = proto == IPPROTO_TCP ? 16 : 6;
	l4[field] = l4[field + 1] = 0;
	sum = sum16(l4, l4len, sum);
	{
		uint16_t ck = (uint16_t)~fold(sum);

		return proto == IPPROTO_UDP && ck == 0 ? 0xffff : ck;
	}
}

static bool
ipv4_hdr_ok(const uint8_t *ip)
{
	return fold(sum16(ip, (size_t)(ip[0] & 0xf) * 4, 0)) == 0xffff;
}

struct frame_spec {
	bool v6;
	uint8_t proto;   /* IPPROTO_TCP or IPPROTO_UDP */
	size_t payload;
	uint8_t tcp_flags;
};

/*
 * Lays out Ethernet + IPv4/IPv6 + TCP(20)/UDP(8) + payload into buf;
 * returns its length. The L4 checksum field holds junk (0xdead): every
 * function under test must ignore what is there.
 */
static size_t
build(uint8_t *buf, const struct frame_spec *s)
{
	size_t l3 = 14, iplen = s->v6 ? 40 : 20;
	size_t l4 = l3 + iplen, l4h = s->proto == IPPROTO_TCP ? 20 : 8;
	size_t len = l4 + l4h + s->payload;

	memset(buf, 0, len);
	memcpy(buf, "\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01", 12);
	if (!s->v6) {
		uint8_t *ip = buf + l3;
		uint16_t tot = (uint16_t)(len - l3), ck;

		buf[12] = 0x08, buf[13] = 0x00;
		ip[0] = 0x45;
		ip[2] = (uint8_t)(tot >> 8), ip[3] = (uint8_t)tot;
		ip[4] = 0x12, ip[5] = 0x34; /* id */
		ip[6] = 0x40;               /* DF */
		ip[8] = 64;
		ip[9] = s->proto;
		memcpy(ip + 12, "\x0a\x00\x00\x01\x0a\x00\x00\x02", 8);
		ck = (uint16_t)~fold(sum16(ip, 20, 0));
		ip[10] = (uint8_t)(ck >> 8), ip[11] = (uint8_t)ck;
	} else {
		uint8_t *ip = buf + l3;
		uint16_t pl = (uint16_t)(len - l4);

		buf[12] = 0x86, buf[13] = 0xdd;
		ip[0] = 0x60;
		ip[4] = (uint8_t)(pl >> 8), ip[5] = (uint8_t)pl;
		ip[6] = s->proto;
		ip[7] = 64;
		ip[8] = 0xfd, ip[23] = 1;
		ip[24] = 0xfd, ip[39] = 2;
	}
	if (s->proto == IPPROTO_TCP) {
		uint8_t *t = buf + l4;

		t[0] = 0x30, t[1] = 0x39;   /* 12345 */
		t[2] = 0x00, t[3] = 0x50;   /* 80 */
		t[4] = 0x01, t[5] = 0x02, t[6] = 0x03, t[7] = 0x04; /* seq */
		t[12] = 0x50;
		t[13] = s->tcp_flags ? s->tcp_flags : 0x18; /* PSH ACK */
		t[14] = 0xff, t[15] = 0xff;
		t[16] = 0xde, t[17] = 0xad;
	} else {
		uint8_t *u = buf + l4;
		uint16_t ul = (uint16_t)(8 + s->payload);

		u[0] = 0x30, u[1] = 0x39, u[2] = 0x00, u[3] = 0x35;
		u[4] = (uint8_t)(ul >> 8), u[5] = (uint8_t)ul;
		u[6] = 0xde, u[7] = 0xad;
	}
	for (size_t i = 0; i < s->payload; i++)
		buf[l4 + l4h + i] = (uint8_t)(i * 7 + 3);
	return len;
}

/*
 * Copies a flat frame into an mbuf chain whose segments hold at most
 * the given sizes in turn (the last size repeats); 0 means SEG_ROOM.
 */
static struct rte_mbuf *
to_mbuf(const uint8_t *buf, size_t len, const uint16_t *sizes, int nsizes)
{
	struct rte_mbuf *head = NULL, *prev = NULL;
	size_t off = 0;
	int i = 0;

	while (off < len) {
		struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
		size_t chunk = nsizes ? sizes[i < nsizes ? i : nsizes - 1] : SEG_ROOM;

		if (m == NULL) {
			rte_pktmbuf_free(head);
			return NULL;
		}
		if (chunk > len - off)
			chunk = len - off;
		memcpy(rte_pktmbuf_append(m, (uint16_t)chunk), buf + off, chunk);
		off += chunk;
		i++;
		if (head == NULL) {
			head = m;
		} else {
			prev->next = m;
			head->nb_segs++;
			head->pkt_len += (uint32_t)chunk;
		}
		prev = m;
	}
	return head;
}

static size_t
flat(const struct rte_mbuf *m, uint8_t *buf)
{
	const void *p = rte_pktmbuf_read(m, 0, m->pkt_len, buf);

	if (p != buf)
		memcpy(buf, p, m->pkt_len);
	return m->pkt_len;
}

static unsigned int
pool_free(void)
{
	return rte_mempool_avail_count(pool);
}

static uint8_t fbuf[70000], obuf[70000];

/* ---- capability decisions ---- */

static void
test_caps(void)
{
	uint64_t csum = 1ULL << VIRTIO_NET_F_GUEST_CSUM;
	uint64_t tso4 = 1ULL << VIRTIO_NET_F_GUEST_TSO4;

	CU_ASSERT_EQUAL(vs_offload_caps_virtio(0), 0);
	CU_ASSERT_EQUAL(vs_offload_caps_virtio(csum), VS_OL_CSUM);
	CU_ASSERT_EQUAL(vs_offload_caps_virtio(csum | tso4), VS_OL_CSUM | VS_OL_TSO4);
	/* TSO without the checksum feature is not valid: nothing. */
	CU_ASSERT_EQUAL(vs_offload_caps_virtio(tso4), 0);
	/* What the guest may send us does not matter for its receive side. */
	CU_ASSERT_EQUAL(vs_offload_caps_virtio((1ULL << VIRTIO_NET_F_CSUM) |
					       (1ULL << VIRTIO_NET_F_HOST_TSO4)), 0);

	CU_ASSERT_EQUAL(vs_offload_caps_eth(RTE_ETH_TX_OFFLOAD_MULTI_SEGS), 0);
	CU_ASSERT_EQUAL(vs_offload_caps_eth(RTE_ETH_TX_OFFLOAD_TCP_CKSUM), 0);
	CU_ASSERT_EQUAL(vs_offload_caps_eth(RTE_ETH_TX_OFFLOAD_TCP_CKSUM |
					    RTE_ETH_TX_OFFLOAD_UDP_CKSUM), VS_OL_CSUM);
	CU_ASSERT_EQUAL(vs_offload_caps_eth(RTE_ETH_TX_OFFLOAD_TCP_CKSUM |
					    RTE_ETH_TX_OFFLOAD_UDP_CKSUM |
					    RTE_ETH_TX_OFFLOAD_TCP_TSO), VS_OL_CSUM);
	CU_ASSERT_EQUAL(vs_offload_caps_eth(RTE_ETH_TX_OFFLOAD_TCP_CKSUM |
					    RTE_ETH_TX_OFFLOAD_UDP_CKSUM |
					    RTE_ETH_TX_OFFLOAD_TCP_TSO |
					    RTE_ETH_TX_OFFLOAD_IPV4_CKSUM),
			VS_OL_CSUM | VS_OL_TSO4);
	CU_ASSERT_EQUAL(vs_offload_eth_txmode(0), 0);
	CU_ASSERT_EQUAL(vs_offload_eth_txmode(VS_OL_CSUM),
			RTE_ETH_TX_OFFLOAD_TCP_CKSUM | RTE_ETH_TX_OFFLOAD_UDP_CKSUM);
	CU_ASSERT_EQUAL(vs_offload_eth_txmode(VS_OL_CSUM | VS_OL_TSO4),
			RTE_ETH_TX_OFFLOAD_TCP_CKSUM | RTE_ETH_TX_OFFLOAD_UDP_CKSUM |
			RTE_ETH_TX_OFFLOAD_TCP_TSO | RTE_ETH_TX_OFFLOAD_IPV4_CKSUM);
}

static void
test_need(void)
{
	struct rte_mbuf m;

	memset(&m, 0, sizeof(m));
	m.l2_len = 14, m.l3_len = 20, m.l4_len = 20;
	m.pkt_len = 9000;
	m.tso_segsz = 1448;

	m.ol_flags = 0;
	CU_ASSERT_EQUAL(vs_offload_need(&m, 0), 0);
	CU_ASSERT_EQUAL(vs_offload_wire_len(&m), 9000);

	m.ol_flags = RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_TCP_CKSUM;
	CU_ASSERT_EQUAL(vs_offload_need(&m, 0), VS_OL_NEED_CSUM);
	CU_ASSERT_EQUAL(vs_offload_need(&m, VS_OL_CSUM), 0);
	CU_ASSERT_EQUAL(vs_offload_need(&m, VS_OL_CSUM | VS_OL_TSO4), 0);

	m.ol_flags = RTE_MBUF_F_TX_IPV6 | RTE_MBUF_F_TX_UDP_CKSUM;
	CU_ASSERT_EQUAL(vs_offload_need(&m, 0), VS_OL_NEED_CSUM);
	CU_ASSERT_EQUAL(vs_offload_need(&m, VS_OL_CSUM), 0);

	m.ol_flags = RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_TCP_CKSUM | RTE_MBUF_F_TX_TCP_SEG;
	CU_ASSERT_EQUAL(vs_offload_need(&m, 0), VS_OL_NEED_GSO | VS_OL_NEED_CSUM);
	CU_ASSERT_EQUAL(vs_offload_need(&m, VS_OL_CSUM), VS_OL_NEED_GSO);
	CU_ASSERT_EQUAL(vs_offload_need(&m, VS_OL_CSUM | VS_OL_TSO4), 0);
	/* The MTU check sees the segments, not the 9000-byte frame. */
	CU_ASSERT_EQUAL(vs_offload_wire_len(&m), 14 + 20 + 20 + 1448);

	/* TCP/IPv6 segmentation is never left to a port with TSO4. */
	m.ol_flags = RTE_MBUF_F_TX_IPV6 | RTE_MBUF_F_TX_TCP_CKSUM | RTE_MBUF_F_TX_TCP_SEG;
	CU_ASSERT_EQUAL(vs_offload_need(&m, VS_OL_CSUM | VS_OL_TSO4), VS_OL_NEED_GSO);
}

/* ---- virtio receive flags into tx requests ---- */

static void
test_from_virtio(void)
{
	struct frame_spec s = { .proto = IPPROTO_TCP, .payload = 4000 };
	size_t len = build(fbuf, &s);
	unsigned int before = pool_free();
	struct rte_mbuf *m = to_mbuf(fbuf, len, NULL, 0);
	struct rte_ipv4_hdr *ip;
	struct rte_tcp_hdr *tcp;

	CU_ASSERT_FATAL(m != NULL);
	/* What rte_vhost sets for a GSO frame in compliant mode. */
	m->ol_flags = RTE_MBUF_F_RX_LRO | RTE_MBUF_F_RX_L4_CKSUM_NONE;
	m->tso_segsz = 1000;
	CU_ASSERT_EQUAL(vs_offload_from_virtio(m), 0);
	CU_ASSERT_EQUAL(m->ol_flags, RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_TCP_CKSUM |
			RTE_MBUF_F_TX_TCP_SEG);
	CU_ASSERT_EQUAL(m->l2_len, 14);
	CU_ASSERT_EQUAL(m->l3_len, 20);
	CU_ASSERT_EQUAL(m->l4_len, 20);
	ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, 14);
	tcp = rte_pktmbuf_mtod_offset(m, struct rte_tcp_hdr *, 34);
	/* Pseudo-header sum without the length, as for a NIC's TSO. */
	CU_ASSERT_EQUAL(tcp->cksum, rte_ipv4_phdr_cksum(ip, RTE_MBUF_F_TX_TCP_SEG));
	rte_pktmbuf_free(m);

	/* A partial checksum alone: the sum with the length. */
	m = to_mbuf(fbuf, len, NULL, 0);
	m->ol_flags = RTE_MBUF_F_RX_L4_CKSUM_NONE;
	CU_ASSERT_EQUAL(vs_offload_from_virtio(m), 0);
	CU_ASSERT_EQUAL(m->ol_flags, RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_TCP_CKSUM);
	ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, 14);
	tcp = rte_pktmbuf_mtod_offset(m, struct rte_tcp_hdr *, 34);
	CU_ASSERT_EQUAL(tcp->cksum, rte_ipv4_phdr_cksum(ip, 0));
	rte_pktmbuf_free(m);

	/* A GSO mark on a frame that fits one segment asks for a checksum only. */
	m = to_mbuf(fbuf, len, NULL, 0);
	m->ol_flags = RTE_MBUF_F_RX_LRO | RTE_MBUF_F_RX_L4_CKSUM_NONE;
	m->tso_segsz = 4000;
	CU_ASSERT_EQUAL(vs_offload_from_virtio(m), 0);
	CU_ASSERT_EQUAL(m->ol_flags, RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_TCP_CKSUM);
	rte_pktmbuf_free(m);

	/* IPv6 UDP. */
	s = (struct frame_spec){ .v6 = true, .proto = IPPROTO_UDP, .payload = 100 };
	len = build(fbuf, &s);
	m = to_mbuf(fbuf, len, NULL, 0);
	m->ol_flags = RTE_MBUF_F_RX_L4_CKSUM_NONE;
	CU_ASSERT_EQUAL(vs_offload_from_virtio(m), 0);
	CU_ASSERT_EQUAL(m->ol_flags, RTE_MBUF_F_TX_IPV6 | RTE_MBUF_F_TX_UDP_CKSUM);
	CU_ASSERT_EQUAL(m->l3_len, 40);
	CU_ASSERT_EQUAL(m->l4_len, 8);
	/* UDP segmentation (UFO) is not offered: refused. */
	m->ol_flags = RTE_MBUF_F_RX_LRO | RTE_MBUF_F_RX_L4_CKSUM_NONE;
	m->tso_segsz = 50;
	CU_ASSERT_EQUAL(vs_offload_from_virtio(m), -EINVAL);
	rte_pktmbuf_free(m);

	/* Not IP: refused, and no request left on it. */
	memcpy(fbuf + 12, "\x08\x06", 2);
	m = to_mbuf(fbuf, 60, NULL, 0);
	m->ol_flags = RTE_MBUF_F_RX_L4_CKSUM_NONE;
	CU_ASSERT_EQUAL(vs_offload_from_virtio(m), -EINVAL);
	CU_ASSERT_EQUAL(m->ol_flags & VS_OL_TX_MASK, 0);
	rte_pktmbuf_free(m);

	/* A TCP data offset under 5 words: refused, nothing written. */
	s = (struct frame_spec){ .proto = IPPROTO_TCP, .payload = 0 };
	len = build(fbuf, &s);
	fbuf[46] = 0x40;
	m = to_mbuf(fbuf, len, NULL, 0);
	m->ol_flags = RTE_MBUF_F_RX_L4_CKSUM_NONE;
	CU_ASSERT_EQUAL(vs_offload_from_virtio(m), -EINVAL);
	CU_ASSERT_EQUAL(memcmp(rte_pktmbuf_mtod(m, void *), fbuf, len), 0);
	rte_pktmbuf_free(m);

	/* Headers split over two segments: refused. */
	s = (struct frame_spec){ .proto = IPPROTO_TCP, .payload = 100 };
	len = build(fbuf, &s);
	{
		uint16_t sizes[] = { 40, 2048 };

		m = to_mbuf(fbuf, len, sizes, 2);
	}
	m->ol_flags = RTE_MBUF_F_RX_L4_CKSUM_NONE;
	CU_ASSERT_EQUAL(vs_offload_from_virtio(m), -EINVAL);
	rte_pktmbuf_free(m);
	CU_ASSERT_EQUAL(pool_free(), before);
}

/* ---- software checksum ---- */

static void
check_sw_csum(const struct frame_spec *s, const uint16_t *sizes, int nsizes)
{
	size_t len = build(fbuf, s);
	size_t l4 = 14 + (s->v6 ? 40 : 20);
	size_t field = l4 + (s->proto == IPPROTO_TCP ? 16 : 6);
	uint16_t want = ref_l4_cksum(fbuf, 14, s->v6);
	struct rte_mbuf *m = to_mbuf(fbuf, len, sizes, nsizes);

	CU_ASSERT_FATAL(m != NULL);
	m->l2_len = 14;
	m->l3_len = s->v6 ? 40 : 20;
	m->l4_len = s->proto == IPPROTO_TCP ? 20 : 8;
	m->ol_flags = (s->v6 ? RTE_MBUF_F_TX_IPV6 : RTE_MBUF_F_TX_IPV4) |
		      (s->proto == IPPROTO_TCP ? RTE_MBUF_F_TX_TCP_CKSUM :
						 RTE_MBUF_F_TX_UDP_CKSUM);
	CU_ASSERT_EQUAL(vs_offload_sw_csum(m), 0);
	CU_ASSERT_EQUAL(m->ol_flags & VS_OL_TX_MASK, 0);
	CU_ASSERT_EQUAL(flat(m, obuf), len);
	CU_ASSERT_EQUAL((uint16_t)(obuf[field] << 8 | obuf[field + 1]), want);
	/* Nothing but the checksum field changed. */
	obuf[field] = fbuf[field], obuf[field + 1] = fbuf[field + 1];
	CU_ASSERT_EQUAL(memcmp(obuf, fbuf, len), 0);
	rte_pktmbuf_free(m);
}

static void
test_sw_csum(void)
{
	unsigned int before = pool_free();
	uint16_t odd[] = { 61, 7, 333, 1, 1000 };
	uint16_t odd6[] = { 75, 7, 333, 1, 1000 };
	struct frame_spec s;

	/* The reference itself, on a fixed frame whose sum was worked out apart. */
	s = (struct frame_spec){ .proto = IPPROTO_TCP, .payload = 0 };
	build(fbuf, &s);
	CU_ASSERT_EQUAL(ref_l4_cksum(fbuf, 14, false), 0x673b);

	s = (struct frame_spec){ .proto = IPPROTO_TCP, .payload = 1 };
	check_sw_csum(&s, NULL, 0);
	s.payload = 1460;
	check_sw_csum(&s, NULL, 0);
	/*
	 * Over a chain cut at odd places, the same sum (DPDK 22.11's own
	 * rte_raw_cksum_mbuf gets these wrong).
	 */
	s.payload = 5001;
	check_sw_csum(&s, odd, 5);
	s = (struct frame_spec){ .proto = IPPROTO_UDP, .payload = 333 };
	check_sw_csum(&s, NULL, 0);
	check_sw_csum(&s, odd, 5);
	s = (struct frame_spec){ .v6 = true, .proto = IPPROTO_TCP, .payload = 3000 };
	check_sw_csum(&s, odd6, 5);
	s = (struct frame_spec){ .v6 = true, .proto = IPPROTO_UDP, .payload = 17 };
	check_sw_csum(&s, NULL, 0);

	/* A UDP sum of zero goes on the wire as 0xffff (RFC 768). */
	s = (struct frame_spec){ .proto = IPPROTO_UDP, .payload = 2 };
	{
		size_t len = build(fbuf, &s);
		uint16_t ck = ref_l4_cksum(fbuf, 14, false);
		struct rte_mbuf *m;

		/* Add the checksum into the payload word: the sum becomes 0xffff. */
		{
			uint16_t p = (uint16_t)(fbuf[len - 2] << 8 | fbuf[len - 1]);
			uint16_t np = fold((uint32_t)p + ck);

			fbuf[len - 2] = (uint8_t)(np >> 8), fbuf[len - 1] = (uint8_t)np;
		}
		CU_ASSERT_EQUAL(ref_l4_cksum(fbuf, 14, false), 0xffff);
		m = to_mbuf(fbuf, len, NULL, 0);
		m->l2_len = 14, m->l3_len = 20, m->l4_len = 8;
		m->ol_flags = RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_UDP_CKSUM;
		CU_ASSERT_EQUAL(vs_offload_sw_csum(m), 0);
		CU_ASSERT_EQUAL(*rte_pktmbuf_mtod_offset(m, uint16_t *, 40), 0xffff);
		rte_pktmbuf_free(m);
	}

	/* A request for something else is refused and changes nothing. */
	{
		struct rte_mbuf *m;
		size_t len;

		s = (struct frame_spec){ .proto = IPPROTO_TCP, .payload = 10 };
		len = build(fbuf, &s);
		m = to_mbuf(fbuf, len, NULL, 0);
		m->l2_len = 14, m->l3_len = 20, m->l4_len = 20;
		m->ol_flags = RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_SCTP_CKSUM;
		CU_ASSERT_EQUAL(vs_offload_sw_csum(m), -EINVAL);
		CU_ASSERT_EQUAL(memcmp(rte_pktmbuf_mtod(m, void *), fbuf, len), 0);
		/* An IP total length beyond the frame. */
		m->ol_flags = RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_TCP_CKSUM;
		rte_pktmbuf_mtod_offset(m, uint8_t *, 14)[2] = 0x7f;
		CU_ASSERT_EQUAL(vs_offload_sw_csum(m), -EINVAL);
		rte_pktmbuf_free(m);
	}
	CU_ASSERT_EQUAL(pool_free(), before);
}

/* ---- segmentation ---- */

static void
check_segments(size_t payload, uint16_t mss, uint32_t caps, const uint16_t *sizes,
	       int nsizes)
{
	struct frame_spec s = { .proto = IPPROTO_TCP, .payload = payload,
				.tcp_flags = 0x19 /* FIN PSH ACK */ };
	size_t len = build(fbuf, &s), want_n = (payload + mss - 1) / mss;
	unsigned int before = pool_free();
	struct rte_mbuf *segs[VS_OL_GSO_MAX_SEGS];
	struct rte_mbuf *m = to_mbuf(fbuf, len, sizes, nsizes);
	size_t done = 0;
	int n;

	CU_ASSERT_FATAL(m != NULL);
	m->ol_flags = RTE_MBUF_F_RX_LRO | RTE_MBUF_F_RX_L4_CKSUM_NONE;
	m->tso_segsz = mss;
	CU_ASSERT_FATAL(vs_offload_from_virtio(m) == 0);
	n = vs_offload_segment(m, caps, segs, RTE_DIM(segs));
	CU_ASSERT_EQUAL_FATAL(n, (int)want_n);
	for (int i = 0; i < n; i++) {
		size_t seglen = flat(segs[i], obuf);
		size_t pl = payload - done < mss ? payload - done : mss;
		uint32_t seq = 0x01020304 + (uint32_t)done;
		uint16_t ck = (uint16_t)(obuf[50] << 8 | obuf[51]);

		CU_ASSERT_EQUAL(seglen, 54 + pl);
		/* Headers: lengths, id counting up, sequence, flags on the last only. */
		CU_ASSERT_EQUAL((size_t)(obuf[16] << 8 | obuf[17]), 40 + pl);
		CU_ASSERT_EQUAL((uint16_t)(obuf[18] << 8 | obuf[19]), 0x1234 + i);
		CU_ASSERT(ipv4_hdr_ok(obuf + 14));
		CU_ASSERT_EQUAL((uint32_t)obuf[38] << 24 | (uint32_t)obuf[39] << 16 |
				(uint32_t)obuf[40] << 8 | obuf[41], seq);
		CU_ASSERT_EQUAL(obuf[47], i == n - 1 ? 0x19 : 0x10);
		CU_ASSERT_EQUAL(memcmp(obuf + 54, fbuf + 54 + done, pl), 0);
		if (caps & VS_OL_CSUM) {
			/* Left to the port, with the pseudo-header sum in place. */
			CU_ASSERT_EQUAL(segs[i]->ol_flags, RTE_MBUF_F_TX_IPV4 |
					RTE_MBUF_F_TX_TCP_CKSUM);
			CU_ASSERT_EQUAL(segs[i]->l2_len + segs[i]->l3_len +
					segs[i]->l4_len, 54);
			CU_ASSERT_EQUAL(*rte_pktmbuf_mtod_offset(segs[i], uint16_t *, 50),
					rte_ipv4_phdr_cksum(rte_pktmbuf_mtod_offset(
						segs[i], struct rte_ipv4_hdr *, 14), 0));
		} else {
			CU_ASSERT_EQUAL(segs[i]->ol_flags & VS_OL_TX_MASK, 0);
			CU_ASSERT_EQUAL(ck, ref_l4_cksum(obuf, 14, false));
		}
		done += pl;
	}
	CU_ASSERT_EQUAL(done, payload);
	/* The input went with its last segment: every mbuf back once. */
	for (int i = 0; i < n; i++)
		rte_pktmbuf_free(segs[i]);
	CU_ASSERT_EQUAL(pool_free(), before);
}

static void
test_segment(void)
{
	uint16_t odd[] = { 100, 999, 61 };
	uint16_t small[] = { 54, 500 };

	check_segments(4000, 1000, 0, NULL, 0);          /* 4 equal segments */
	check_segments(4500, 1000, 0, NULL, 0);          /* 5, the last of 500 */
	check_segments(64000, 1448, 0, NULL, 0);         /* a guest's 64 KB, 45 */
	check_segments(64000, 1448, VS_OL_CSUM, NULL, 0); /* the port does sums */
	check_segments(10001, 1460, 0, odd, 3);          /* chain cut anywhere */
	check_segments(3000, 536, 0, small, 2);          /* headers alone first */
}

static void
test_segment_limits(void)
{
	struct frame_spec s = { .proto = IPPROTO_TCP, .payload = 5000 };
	size_t len = build(fbuf, &s);
	unsigned int before = pool_free();
	struct rte_mbuf *segs[4];
	struct rte_mbuf *m = to_mbuf(fbuf, len, NULL, 0);
	uint64_t flags;
	int n;

	m->ol_flags = RTE_MBUF_F_RX_LRO | RTE_MBUF_F_RX_L4_CKSUM_NONE;
	m->tso_segsz = 1000;
	CU_ASSERT_FATAL(vs_offload_from_virtio(m) == 0);
	flags = m->ol_flags;
	/* Five segments do not fit in four: refused, the frame still whole. */
	n = vs_offload_segment(m, 0, segs, RTE_DIM(segs));
	CU_ASSERT(n < 0);
	CU_ASSERT_EQUAL(m->ol_flags, flags);
	CU_ASSERT_EQUAL(rte_mbuf_refcnt_read(m), 1);
	CU_ASSERT_EQUAL(flat(m, obuf), len);
	rte_pktmbuf_free(m);
	CU_ASSERT_EQUAL(pool_free(), before);

	/* Not a segmentation request: refused. */
	m = to_mbuf(fbuf, len, NULL, 0);
	m->ol_flags = RTE_MBUF_F_RX_L4_CKSUM_NONE;
	CU_ASSERT_FATAL(vs_offload_from_virtio(m) == 0);
	CU_ASSERT_EQUAL(vs_offload_segment(m, 0, segs, RTE_DIM(segs)), -EINVAL);
	rte_pktmbuf_free(m);

	/* One segment's worth: the frame itself back, checksum done. */
	s.payload = 1000;
	len = build(fbuf, &s);
	m = to_mbuf(fbuf, len, NULL, 0);
	m->l2_len = 14, m->l3_len = 20, m->l4_len = 20;
	m->tso_segsz = 1000;
	m->ol_flags = RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_TCP_CKSUM | RTE_MBUF_F_TX_TCP_SEG;
	n = vs_offload_segment(m, 0, segs, RTE_DIM(segs));
	CU_ASSERT_EQUAL(n, 1);
	CU_ASSERT(segs[0] == m);
	CU_ASSERT_EQUAL(m->ol_flags & VS_OL_TX_MASK, 0);
	CU_ASSERT_EQUAL(*rte_pktmbuf_mtod_offset(m, uint16_t *, 50),
			rte_cpu_to_be_16(ref_l4_cksum(fbuf, 14, false)));
	rte_pktmbuf_free(m);
	CU_ASSERT_EQUAL(pool_free(), before);
}

int
main(int argc, char **argv)
{
	static const struct vs_cunit_test tests[] = {
		{ "caps: virtio and ethdev", test_caps },
		{ "need: what software does", test_need },
		{ "from_virtio: rx flags to tx request", test_from_virtio },
		{ "sw_csum: exact sums, chains, IPv6, UDP", test_sw_csum },
		{ "segment: counts, sizes, headers, sums", test_segment },
		{ "segment: limits and refusals", test_segment_limits },
	};
	char prefix[64];
	char *eal[] = { argv[0], "--no-huge", "--no-pci", "-m", "64", "--no-shconf",
			"--log-level=*:error", "--file-prefix", prefix };
	int rc;

	(void)argc;
	snprintf(prefix, sizeof(prefix), "vs-test-offload-%d", (int)getpid());
	if (rte_eal_init((int)RTE_DIM(eal), eal) < 0) {
		fprintf(stderr, "cannot start EAL\n");
		return 2;
	}
	pool = rte_pktmbuf_pool_create("test_offload", NB_MBUFS, 0, 0,
				       SEG_ROOM + RTE_PKTMBUF_HEADROOM, SOCKET_ID_ANY);
	if (pool == NULL) {
		fprintf(stderr, "cannot create the mbuf pool\n");
		rte_eal_cleanup();
		return 2;
	}
	rc = VS_CUNIT_MAIN("offload", NULL, tests);
	rte_mempool_free(pool);
	rte_eal_cleanup();
	return rc;
}
