/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The vhostswitch authors
 */

/*
 * Frame classification and the forwarding decision of the L2 learning
 * bridge. Pure functions over bytes and the FDB, so they are unit-tested
 * without an EAL.
 */
#ifndef VS_L2_H
#define VS_L2_H

#include <stdbool.h>
#include <stdint.h>

#include "vs_fdb.h"

#define VS_ETH_HDR_LEN 14
#define VS_MAC_BROADCAST VS_MAC_MASK

enum vs_frame_class {
	VS_FRAME_RUNT,      /* shorter than an Ethernet header */
	VS_FRAME_UNICAST,
	VS_FRAME_MULTICAST, /* group bit set, not broadcast */
	VS_FRAME_BROADCAST,
};

/* The group (I/G) bit is the lowest bit of the first byte on the wire. */
static inline bool
vs_mac_is_multicast(uint64_t mac)
{
	return (mac & 1) != 0;
}

/* A frame's source must name one station: not zero, not a group address. */
static inline bool
vs_mac_is_valid_src(uint64_t mac)
{
	return mac != 0 && !vs_mac_is_multicast(mac);
}

/*
 * Classifies a frame from the bytes of its first segment; len is how many
 * bytes are readable there.
 */
static inline enum vs_frame_class
vs_frame_classify(const uint8_t *frame, uint32_t len)
{
	uint64_t dst;

	if (len < VS_ETH_HDR_LEN)
		return VS_FRAME_RUNT;
	dst = vs_mac_from_bytes(frame);
	if (dst == VS_MAC_BROADCAST)
		return VS_FRAME_BROADCAST;
	if (vs_mac_is_multicast(dst))
		return VS_FRAME_MULTICAST;
	return VS_FRAME_UNICAST;
}

enum vs_l2_action {
	VS_L2_FORWARD,   /* to one known port */
	VS_L2_FLOOD,     /* to every port but the ingress one */
	VS_L2_SAME_PORT, /* destination lives behind the ingress port: drop */
};

/*
 * Decides where a frame to dst, received on in_port, goes. Group
 * addresses and unknown unicast flood; known unicast goes to its port only,
 * and never back out of the port it came in on. *out_port is set for
 * VS_L2_FORWARD.
 */
static inline enum vs_l2_action
vs_l2_decide(const struct vs_fdb *fdb, uint64_t dst, uint16_t in_port,
	     uint16_t *out_port)
{
	int port;

	if (vs_mac_is_multicast(dst))
		return VS_L2_FLOOD;
	port = vs_fdb_lookup(fdb, dst);
	if (port < 0)
		return VS_L2_FLOOD;
	if (port == in_port)
		return VS_L2_SAME_PORT;
	*out_port = (uint16_t)port;
	return VS_L2_FORWARD;
}

#endif /* VS_L2_H */
