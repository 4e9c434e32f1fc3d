/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The vhostswitch authors
 */

#include <errno.h>
#include <linux/virtio_net.h>

#include <rte_ethdev.h>
#include <rte_gso.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_net.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include "vs_offload.h"

uint32_t
vs_offload_caps_virtio(uint64_t features)
{
	uint32_t caps = 0;

	if (features & (1ULL << VIRTIO_NET_F_GUEST_CSUM)) {
		caps |= VS_OL_CSUM;
		/* The spec makes TSO depend on the checksum feature. */
		if (features & (1ULL << VIRTIO_NET_F_GUEST_TSO4))
			caps |= VS_OL_TSO4;
	}
	return caps;
}

uint32_t
vs_offload_caps_eth(uint64_t capa)
{
	const uint64_t csum = RTE_ETH_TX_OFFLOAD_TCP_CKSUM | RTE_ETH_TX_OFFLOAD_UDP_CKSUM;
	const uint64_t tso = RTE_ETH_TX_OFFLOAD_TCP_TSO | RTE_ETH_TX_OFFLOAD_IPV4_CKSUM;
	uint32_t caps = 0;

	if ((capa & csum) == csum) {
		caps |= VS_OL_CSUM;
		if ((capa & tso) == tso)
			caps |= VS_OL_TSO4;
	}
	return caps;
}

uint64_t
vs_offload_eth_txmode(uint32_t caps)
{
	uint64_t mode = 0;

	if (caps & VS_OL_CSUM)
		mode |= RTE_ETH_TX_OFFLOAD_TCP_CKSUM | RTE_ETH_TX_OFFLOAD_UDP_CKSUM;
	if (caps & VS_OL_TSO4)
		mode |= RTE_ETH_TX_OFFLOAD_TCP_TSO | RTE_ETH_TX_OFFLOAD_IPV4_CKSUM;
	return mode;
}

int
vs_offload_from_virtio(struct rte_mbuf *m)
{
	struct rte_net_hdr_lens hl = { 0 };
	uint64_t rx = m->ol_flags, tx;
	uint32_t ptype, l4, hdr;

	m->ol_flags &= ~(RTE_MBUF_F_RX_L4_CKSUM_MASK | RTE_MBUF_F_RX_IP_CKSUM_MASK |
			 RTE_MBUF_F_RX_LRO);
	ptype = rte_net_get_ptype(m, &hl, RTE_PTYPE_L2_MASK | RTE_PTYPE_L3_MASK |
					  RTE_PTYPE_L4_MASK);
	if (RTE_ETH_IS_IPV4_HDR(ptype))
		tx = RTE_MBUF_F_TX_IPV4;
	else if (RTE_ETH_IS_IPV6_HDR(ptype))
		tx = RTE_MBUF_F_TX_IPV6;
	else
		return -EINVAL;
	l4 = ptype & RTE_PTYPE_L4_MASK;
	if (l4 == RTE_PTYPE_L4_TCP)
		tx |= RTE_MBUF_F_TX_TCP_CKSUM;
	else if (l4 == RTE_PTYPE_L4_UDP && !(rx & RTE_MBUF_F_RX_LRO))
		tx |= RTE_MBUF_F_TX_UDP_CKSUM;
	else
		return -EINVAL;
	hdr = hl.l2_len + hl.l3_len + hl.l4_len;
	/* A TCP data offset under 5 words would put the checksum past it. */
	if (hl.l4_len < (l4 == RTE_PTYPE_L4_TCP ? sizeof(struct rte_tcp_hdr) :
			 sizeof(struct rte_udp_hdr)) ||
	    rte_pktmbuf_data_len(m) < hdr)
		return -EINVAL;
	if ((rx & RTE_MBUF_F_RX_LRO) && m->tso_segsz != 0 &&
	    m->pkt_len > hdr + m->tso_segsz)
		tx |= RTE_MBUF_F_TX_TCP_SEG;
	m->l2_len = hl.l2_len;
	m->l3_len = hl.l3_len;
	m->l4_len = hl.l4_len;
	m->ol_flags |= tx;
	/*
	 * The guest's partial sum may or may not include the length: write
	 * the one every later step (rte_vhost's enqueue, a NIC's tx_prepare)
	 * writes too, so that their writes to a shared frame change nothing.
	 */
	if (rte_net_intel_cksum_flags_prepare(m, m->ol_flags) != 0) {
		m->ol_flags &= ~VS_OL_TX_MASK;
		return -EINVAL;
	}
	return 0;
}

/*
 * The one's complement sum of len bytes of m from off, folded. Not
 * rte_raw_cksum_mbuf(): in DPDK 22.11 it truncates a segment's sum before
 * swapping its bytes, which is wrong after a segment of odd length.
 */
static int
raw_sum(const struct rte_mbuf *m, uint32_t off, uint32_t len, uint32_t *sum)
{
	const struct rte_mbuf *seg = m;
	uint32_t done = 0;
	uint64_t acc = 0;

	if (off + len > m->pkt_len)
		return -EINVAL;
	while (seg != NULL && off >= seg->data_len) {
		off -= seg->data_len;
		seg = seg->next;
	}
	while (len > 0) {
		uint32_t n;
		uint16_t s;

		if (seg == NULL)
			return -EINVAL;
		n = RTE_MIN(len, (uint32_t)seg->data_len - off);
		s = rte_raw_cksum(rte_pktmbuf_mtod_offset(seg, const void *, off), n);
		/* A chunk that starts at an odd offset has its bytes swapped. */
		if (done & 1)
			s = rte_bswap16(s);
		acc += s;
		done += n;
		len -= n;
		off = 0;
		seg = seg->next;
	}
	while (acc >> 16)
		acc = (acc & 0xffff) + (acc >> 16);
	*sum = (uint32_t)acc;
	return 0;
}

int
vs_offload_sw_csum(struct rte_mbuf *m)
{
	uint64_t f = m->ol_flags, l4req = f & RTE_MBUF_F_TX_L4_MASK;
	uint32_t l3off = m->l2_len, l4off = l3off + m->l3_len, l4len = 0, phdr = 0, sum;
	struct rte_ipv4_hdr *ip4 = NULL;
	uint16_t *field, ck;

	if (f & RTE_MBUF_F_TX_TCP_SEG)
		return -EINVAL;
	if (l4req == RTE_MBUF_F_TX_TCP_CKSUM)
		field = rte_pktmbuf_mtod_offset(m, uint16_t *,
						l4off + offsetof(struct rte_tcp_hdr, cksum));
	else if (l4req == RTE_MBUF_F_TX_UDP_CKSUM)
		field = rte_pktmbuf_mtod_offset(m, uint16_t *,
						l4off + offsetof(struct rte_udp_hdr, dgram_cksum));
	else if (l4req == 0)
		field = NULL;
	else
		return -EINVAL;
	if (rte_pktmbuf_data_len(m) < l4off + (l4req == RTE_MBUF_F_TX_TCP_CKSUM ?
					       sizeof(struct rte_tcp_hdr) :
					       sizeof(struct rte_udp_hdr)))
		return -EINVAL;

	if (f & RTE_MBUF_F_TX_IPV4) {
		uint32_t iplen;

		ip4 = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, l3off);
		iplen = rte_be_to_cpu_16(ip4->total_length);
		if (iplen < m->l3_len || l3off + iplen > m->pkt_len)
			return -EINVAL;
		l4len = iplen - m->l3_len;
		phdr = rte_ipv4_phdr_cksum(ip4, 0);
	} else if (f & RTE_MBUF_F_TX_IPV6) {
		struct rte_ipv6_hdr *ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv6_hdr *,
								  l3off);
		uint32_t plen = rte_be_to_cpu_16(ip->payload_len);
		uint32_t ext = m->l3_len - (uint32_t)sizeof(*ip);

		if (m->l3_len < sizeof(*ip) || plen < ext || l4off + plen - ext > m->pkt_len)
			return -EINVAL;
		l4len = plen - ext;
		/* Its payload length is the L4 length only without extensions. */
		phdr = (uint32_t)rte_ipv6_phdr_cksum(ip, 0) +
		       (uint16_t)~rte_cpu_to_be_16((uint16_t)plen) +
		       rte_cpu_to_be_16((uint16_t)l4len);
	} else if (field != NULL) {
		return -EINVAL;
	}
	if (field != NULL) {
		if (raw_sum(m, l4off, l4len, &sum) != 0)
			return -EINVAL;
		/* The field must not count: take its current value out. */
		sum += (uint16_t)~*field;
		sum += phdr;
		sum = (sum & 0xffff) + (sum >> 16);
		sum = (sum & 0xffff) + (sum >> 16);
		ck = (uint16_t)~sum;
		if (ck == 0 && l4req == RTE_MBUF_F_TX_UDP_CKSUM)
			ck = 0xffff;
		*field = ck;
	}
	if (ip4 != NULL && (f & RTE_MBUF_F_TX_IP_CKSUM)) {
		ip4->hdr_checksum = 0;
		ip4->hdr_checksum = rte_ipv4_cksum(ip4);
	}
	m->ol_flags &= ~(RTE_MBUF_F_TX_L4_MASK | RTE_MBUF_F_TX_IP_CKSUM);
	return 0;
}

int
vs_offload_segment(struct rte_mbuf *m, uint32_t caps, struct rte_mbuf **out,
		   uint16_t nb_out)
{
	struct rte_gso_ctx ctx = {
		.direct_pool = m->pool,
		.indirect_pool = m->pool,
		.flag = 0, /* IP ids counted up from the frame's */
		.gso_types = RTE_ETH_TX_OFFLOAD_TCP_TSO,
	};
	uint64_t f = m->ol_flags, seg_flags;
	uint32_t hdr = (uint32_t)m->l2_len + m->l3_len + m->l4_len;
	int n;

	if (!(f & RTE_MBUF_F_TX_TCP_SEG) || !(f & RTE_MBUF_F_TX_IPV4) ||
	    (f & RTE_MBUF_F_TX_L4_MASK) != RTE_MBUF_F_TX_TCP_CKSUM ||
	    m->tso_segsz == 0 || m->l4_len < sizeof(struct rte_tcp_hdr) ||
	    rte_pktmbuf_data_len(m) < hdr || hdr + m->tso_segsz > UINT16_MAX)
		return -EINVAL;
	if (nb_out == 0)
		return -ENOMEM;
	seg_flags = f & ~RTE_MBUF_F_TX_TCP_SEG;
	if (m->pkt_len <= hdr + m->tso_segsz) {
		/* Nothing to cut: a checksum request with its length. */
		m->ol_flags = seg_flags;
		rte_net_intel_cksum_flags_prepare(m, seg_flags);
		if (!(caps & VS_OL_CSUM) && vs_offload_sw_csum(m) != 0) {
			m->ol_flags = f;
			return -EINVAL;
		}
		out[0] = m;
		return 1;
	}
	ctx.gso_size = (uint16_t)(hdr + m->tso_segsz);
	n = rte_gso_segment(m, &ctx, out, nb_out);
	if (n <= 0) {
		m->ol_flags = f;
		return n < 0 ? n : -EINVAL;
	}
	for (int i = 0; i < n; i++) {
		struct rte_mbuf *s = out[i];
		struct rte_ipv4_hdr *ip;

		/* Each segment's headers are its own copy: ours to write. */
		s->ol_flags = seg_flags;
		s->l2_len = m->l2_len;
		s->l3_len = m->l3_len;
		s->l4_len = m->l4_len;
		s->tso_segsz = 0;
		ip = rte_pktmbuf_mtod_offset(s, struct rte_ipv4_hdr *, m->l2_len);
		ip->hdr_checksum = 0;
		ip->hdr_checksum = rte_ipv4_cksum(ip);
		rte_net_intel_cksum_flags_prepare(s, seg_flags);
		if (!(caps & VS_OL_CSUM))
			vs_offload_sw_csum(s);
	}
	/* The segments hold references to the payload they point into. */
	rte_pktmbuf_free(m);
	return n;
}
