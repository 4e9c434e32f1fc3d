/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The vhostswitch authors
 */

/*
 * Checksum and segmentation offloads between ports.
 *
 * Inside the switch a frame that still needs work carries DPDK's tx
 * offload request, as a NIC driver expects it: RTE_MBUF_F_TX_IPV4 or
 * _IPV6, RTE_MBUF_F_TX_TCP_CKSUM or _UDP_CKSUM, RTE_MBUF_F_TX_TCP_SEG with
 * tso_segsz for a TCP frame larger than one segment, l2_len, l3_len and
 * l4_len set, and the L4 checksum field holding the pseudo-header sum
 * that rte_net_intel_cksum_prepare() writes (without the length for
 * segmentation, with it otherwise). Every frame without work has none of
 * these flags, so the fast path tests one word.
 *
 * Such a frame is produced only by a vhost-user port whose guest asked
 * for the work in its virtio-net header (vs_offload_from_virtio). On
 * output, a port that cannot do what a frame asks gets the work done in
 * software first (vs_offload_need, vs_offload_sw_csum, vs_offload_segment),
 * so what reaches a guest or the wire is always a valid frame.
 *
 * None of these functions modifies a frame whose mbuf is shared: the
 * caller copies such a frame first (a flooded frame is one mbuf with one
 * reference per output port).
 */
#ifndef VS_OFFLOAD_H
#define VS_OFFLOAD_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_mbuf.h>

/* What a port can do itself on output (struct vs_port.tx_offloads). */
#define VS_OL_CSUM (1u << 0) /* TCP and UDP checksums, IPv4 and IPv6 */
#define VS_OL_TSO4 (1u << 1) /* TCP segmentation over IPv4 */

/* The mbuf flags that ask for work. */
#define VS_OL_TX_MASK (RTE_MBUF_F_TX_L4_MASK | RTE_MBUF_F_TX_TCP_SEG)

/* Software work a frame needs before a port may send it. */
#define VS_OL_NEED_CSUM (1u << 0)
#define VS_OL_NEED_GSO (1u << 1)

/*
 * The most segments one frame may be cut into (a 64 KiB frame at an MSS
 * of 536 bytes makes 123). A frame that would need more is dropped as
 * gso_failed.
 */
#define VS_OL_GSO_MAX_SEGS 128

/* What a guest can take, from its negotiated virtio features. */
uint32_t vs_offload_caps_virtio(uint64_t features);

/* What a NIC can do, from rte_eth_dev_info.tx_offload_capa. */
uint32_t vs_offload_caps_eth(uint64_t tx_offload_capa);

/* The ethdev tx offloads to enable for caps (rte_eth_conf.txmode.offloads). */
uint64_t vs_offload_eth_txmode(uint32_t caps);

/*
 * Turns the receive flags rte_vhost sets from a guest's virtio-net header
 * (RTE_VHOST_USER_NET_COMPLIANT_OL_FLAGS: RX_L4_CKSUM_NONE for a partial
 * checksum, RX_LRO with tso_segsz for a large TCP frame) into the tx
 * request described above. Returns 0, or -EINVAL when the frame asks for
 * work on something other than TCP or UDP over IP, or its headers are not
 * in its first segment: the caller drops it (its checksum is unfinished).
 * The frame must not be shared.
 */
int vs_offload_from_virtio(struct rte_mbuf *m);

/*
 * The length of the frames that m becomes on the wire: the segment size
 * for a segmentation request, pkt_len otherwise.
 */
static inline uint32_t
vs_offload_wire_len(const struct rte_mbuf *m)
{
	if (m->ol_flags & RTE_MBUF_F_TX_TCP_SEG) {
		uint32_t seg = (uint32_t)m->l2_len + m->l3_len + m->l4_len + m->tso_segsz;

		return RTE_MIN(seg, m->pkt_len);
	}
	return m->pkt_len;
}

/*
 * What must be done in software before a port with caps may send m:
 * VS_OL_NEED_* bits, 0 when the port does it all (or nothing is asked).
 */
static inline uint32_t
vs_offload_need(const struct rte_mbuf *m, uint32_t caps)
{
	uint64_t f = m->ol_flags;
	uint32_t need = 0;

	if (f & RTE_MBUF_F_TX_TCP_SEG) {
		if (!(caps & VS_OL_TSO4) || !(f & RTE_MBUF_F_TX_IPV4))
			need |= VS_OL_NEED_GSO;
		/* Segments still need their checksum, by the port or by us. */
		if (!(caps & VS_OL_CSUM))
			need |= VS_OL_NEED_CSUM;
	} else if ((f & RTE_MBUF_F_TX_L4_MASK) && !(caps & VS_OL_CSUM)) {
		need |= VS_OL_NEED_CSUM;
	}
	return need;
}

/*
 * Completes m's TCP or UDP checksum (and an IPv4 header checksum asked
 * for) in software, over every segment of the mbuf chain, and clears the
 * request. Returns 0, or -EINVAL when the headers are not in the first
 * segment or not TCP or UDP over IP (m is unchanged then).
 */
int vs_offload_sw_csum(struct rte_mbuf *m);

/*
 * Cuts the TCP/IPv4 frame m into segments of at most tso_segsz payload
 * bytes each, with rte_gso, into out[0..nb_out). Every segment has a
 * correct IPv4 header checksum; its TCP checksum is done in software
 * unless caps has VS_OL_CSUM, in which case the segment carries a
 * checksum request instead. Header mbufs come from m's pool.
 *
 * Returns the number of segments (m is then released: the segments hold
 * what they need of it), or -errno with m untouched and still the
 * caller's: -ENOMEM (pool empty or more than nb_out segments), -EINVAL
 * (not TCP over IPv4, headers not in the first segment). A frame no
 * longer than one segment is returned as itself (1, out[0] == m) with only
 * the checksum request left.
 */
int vs_offload_segment(struct rte_mbuf *m, uint32_t caps, struct rte_mbuf **out,
		       uint16_t nb_out);

#endif /* VS_OFFLOAD_H */
