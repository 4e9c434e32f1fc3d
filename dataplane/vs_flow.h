/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The vhostswitch authors
 */

/*
 * Flow hashing for spreading traffic over the queues of a multiqueue port:
 * every packet of one flow goes to the same queue, so a flow is never
 * reordered, while distinct flows spread evenly.
 *
 * Runs per packet, so it is header-only and branch-light. The hash is
 * CRC32-C (SSE4.2 or ARMv8 instructions through DPDK's header-only
 * rte_hash_crc, which needs no EAL) over the header fields, chained in wire
 * order, then a murmur3 finalizer: CRC alone spreads its low bits well but
 * vs_flow_pick uses the high ones, and the finalizer mixes every input bit
 * into all of them. As the fields are hashed as one CRC stream and the
 * finalizer is a bijection, two frames whose hashed bytes differ only
 * within four consecutive bytes (one address, the ports) never share a hash.
 *
 * Frames are hostile (DESIGN.md, invariant 4): every read is checked
 * against len first, and a header that is cut short simply contributes
 * nothing. Fields are hashed in network byte order as they lie in memory:
 * the value only has to be stable on one host, not portable.
 */
#ifndef VS_FLOW_H
#define VS_FLOW_H

#include <stdint.h>
#include <string.h>

#include <rte_branch_prediction.h>
#include <rte_common.h>
#include <rte_hash_crc.h>

#define VS_FLOW_SEED 0x9747b28cu

#define VS_FLOW_ETH_LEN 14
#define VS_FLOW_VLAN_LEN 4
#define VS_FLOW_IPV4_MIN 20
#define VS_FLOW_IPV6_LEN 40

/* Ether types as they are read here: the two wire bytes, big-endian. */
#define VS_FLOW_ETH_IPV4 0x0800
#define VS_FLOW_ETH_IPV6 0x86dd
#define VS_FLOW_ETH_VLAN 0x8100
#define VS_FLOW_ETH_QINQ 0x88a8

/* IPv4 flags and fragment offset, less DF: any bit set means a fragment. */
#define VS_FLOW_IPV4_FRAG_MASK 0x3fff

static inline uint64_t
vs_flow_load64(const uint8_t *p)
{
	uint64_t v;

	/* memcpy compiles to one unaligned load; a cast would be UB. */
	memcpy(&v, p, sizeof(v));
	return v;
}

static inline uint32_t
vs_flow_load32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static inline uint16_t
vs_flow_be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* The murmur3 finalizer: a bijection, so it loses nothing of the CRC. */
static inline uint32_t
vs_flow_fmix(uint32_t h)
{
	h ^= h >> 16;
	h *= 0x85ebca6bu;
	h ^= h >> 13;
	h *= 0xc2b2ae35u;
	h ^= h >> 16;
	return h;
}

/* Only these L4 protocols have their ports in the first four bytes. */
static inline uint32_t
vs_flow_has_ports(uint8_t proto)
{
	return (proto == 6) | (proto == 17) | (proto == 132);
}

/*
 * A frame shorter than an Ethernet header: its bytes are copied into a
 * zeroed buffer and hashed with the length, so that a runt never reads
 * beyond itself. Runts are rare, so this stays out of line (static rather
 * than inline, which noinline would contradict; unused keeps a file that
 * includes this header without hashing free of warnings).
 */
static __rte_noinline __rte_unused uint32_t
vs_flow_hash_runt(const uint8_t *frame, uint32_t len)
{
	uint8_t b[16] = { 0 };
	uint32_t h;

	/* len < 14 already; the clamp lets the compiler see it too. */
	memcpy(b, frame, RTE_MIN(len, (uint32_t)VS_FLOW_ETH_LEN));
	h = rte_hash_crc_8byte(vs_flow_load64(b), VS_FLOW_SEED ^ len);
	h = rte_hash_crc_8byte(vs_flow_load64(b + 8), h);
	return vs_flow_fmix(h);
}

/*
 * A hash of the frame's flow: dst and src MAC and ether type, plus for
 * IPv4/IPv6 (after at most one 802.1Q/802.1ad tag) the addresses and
 * protocol, plus TCP/UDP/SCTP ports when the packet is not a fragment (IPv4:
 * MF clear and offset 0; IPv6: next header is the L4 protocol directly).
 * Reads only within frame[0..len): a short or hostile frame hashes what is
 * there, never beyond.
 *
 * A tag's four bytes (TCI and inner ether type) are hashed too, so the same
 * addresses on two VLANs are two flows. An IP header cut short contributes
 * nothing, and neither do ports cut short or behind an IPv4 header length
 * below 20 bytes.
 */
static inline uint32_t
vs_flow_hash(const uint8_t *frame, uint32_t len)
{
	const uint8_t *ip;
	uint32_t h, l3 = VS_FLOW_ETH_LEN;
	uint16_t type;

	if (unlikely(len < VS_FLOW_ETH_LEN))
		return vs_flow_hash_runt(frame, len);

	/* Bytes 0..7 and 6..13: both MACs and the ether type in two loads. */
	h = rte_hash_crc_8byte(vs_flow_load64(frame), VS_FLOW_SEED);
	h = rte_hash_crc_8byte(vs_flow_load64(frame + 6), h);
	type = vs_flow_be16(frame + 12);

	if (type == VS_FLOW_ETH_VLAN || type == VS_FLOW_ETH_QINQ) {
		if (len < VS_FLOW_ETH_LEN + VS_FLOW_VLAN_LEN)
			return vs_flow_fmix(h);
		h = rte_hash_crc_4byte(vs_flow_load32(frame + 14), h);
		type = vs_flow_be16(frame + 16);
		l3 += VS_FLOW_VLAN_LEN;
	}
	ip = frame + l3;
	/* len >= l3 here, so len - l3 cannot wrap. */
	if (type == VS_FLOW_ETH_IPV4 && len - l3 >= VS_FLOW_IPV4_MIN) {
		uint32_t ihl = (ip[0] & 0xfu) * 4;
		uint8_t proto = ip[9];

		/* Source and destination address are adjacent: one load. */
		h = rte_hash_crc_8byte(vs_flow_load64(ip + 12), h);
		h = rte_hash_crc_4byte(proto, h);
		/*
		 * Only the first fragment carries ports: hashing them would
		 * send one datagram's fragments to different queues.
		 */
		if (vs_flow_has_ports(proto) &&
		    (vs_flow_be16(ip + 6) & VS_FLOW_IPV4_FRAG_MASK) == 0 &&
		    ihl >= VS_FLOW_IPV4_MIN && len - l3 >= ihl + 4)
			h = rte_hash_crc_4byte(vs_flow_load32(ip + ihl), h);
	} else if (type == VS_FLOW_ETH_IPV6 && len - l3 >= VS_FLOW_IPV6_LEN) {
		uint8_t nh = ip[6];

		h = rte_hash_crc_8byte(vs_flow_load64(ip + 8), h);
		h = rte_hash_crc_8byte(vs_flow_load64(ip + 16), h);
		h = rte_hash_crc_8byte(vs_flow_load64(ip + 24), h);
		h = rte_hash_crc_8byte(vs_flow_load64(ip + 32), h);
		h = rte_hash_crc_4byte(nh, h);
		/*
		 * Extension headers (a fragment header among them) are not
		 * walked: such packets hash by addresses and next header only,
		 * which keeps every fragment of a datagram on one queue.
		 */
		if (vs_flow_has_ports(nh) && len - l3 >= VS_FLOW_IPV6_LEN + 4)
			h = rte_hash_crc_4byte(vs_flow_load32(ip + 40), h);
	}
	return vs_flow_fmix(h);
}

/*
 * One of the queues whose bit is set in mask, chosen by hash so that one
 * flow always picks the same queue while mask is unchanged, and flows
 * spread evenly. Returns 0 when mask is 0.
 *
 * The hash scaled by the number of set bits, k = hash * n / 2^32, picks
 * the k-th set bit without a division; the bit is then found by halving
 * the mask five times with popcounts, which compiles to conditional moves
 * rather than a loop whose length depends on the flow.
 */
static inline uint16_t
vs_flow_pick(uint32_t hash, uint32_t mask)
{
	uint32_t k = (uint32_t)(((uint64_t)hash * __builtin_popcount(mask)) >> 32);
	uint32_t pos = 0;

	if (unlikely(mask == 0))
		return 0;
	for (uint32_t w = 16; w > 0; w >>= 1) {
		uint32_t low = mask & ((1u << w) - 1);
		uint32_t c = (uint32_t)__builtin_popcount(low);
		uint32_t up = k >= c;

		k -= up * c;
		pos += up * w;
		mask = up ? mask >> w : low;
	}
	return (uint16_t)pos;
}

#endif /* VS_FLOW_H */
