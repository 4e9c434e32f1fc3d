/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The vhostswitch authors
 */

/*
 * Unit tests of frame classification and the forwarding decision. No EAL:
 * vs_l2.h is pure functions over bytes and an FDB.
 */

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "vs_cunit.h"

#include "vs_fdb.h"
#include "vs_l2.h"

/* A minimum Ethernet header (dst, src, ethertype) with dst first. */
static void
make_frame(uint8_t *frame, const uint8_t dst[6])
{
	static const uint8_t src[6] = { 0x52, 0x54, 0x00, 0xaa, 0xbb, 0xcc };

	memcpy(frame, dst, 6);
	memcpy(frame + 6, src, 6);
	frame[12] = 0x08;
	frame[13] = 0x00;
}

static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
static const uint8_t mcast4[6] = { 0x01, 0x00, 0x5e, 0x00, 0x00, 0x01 };
static const uint8_t mcast6[6] = { 0x33, 0x33, 0x00, 0x00, 0x00, 0x01 };
static const uint8_t ucast[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
/* Group bit clear but every other bit set: unicast, not broadcast. */
static const uint8_t almost_bcast[6] = { 0xfe, 0xff, 0xff, 0xff, 0xff, 0xff };
/* Group bit set in byte 0, the rest of the broadcast bits not. */
static const uint8_t mcast_other[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe };

static void
test_classify_broadcast(void)
{
	uint8_t frame[64] = { 0 };

	make_frame(frame, bcast);
	CU_ASSERT_EQUAL(vs_frame_classify(frame, sizeof(frame)),
			VS_FRAME_BROADCAST);
	make_frame(frame, mcast_other);
	CU_ASSERT_EQUAL(vs_frame_classify(frame, sizeof(frame)),
			VS_FRAME_MULTICAST);
}

static void
test_classify_multicast(void)
{
	uint8_t frame[64] = { 0 };

	make_frame(frame, mcast4);
	CU_ASSERT_EQUAL(vs_frame_classify(frame, sizeof(frame)),
			VS_FRAME_MULTICAST);
	make_frame(frame, mcast6);
	CU_ASSERT_EQUAL(vs_frame_classify(frame, sizeof(frame)),
			VS_FRAME_MULTICAST);
}

static void
test_classify_unicast(void)
{
	uint8_t frame[64] = { 0 };

	make_frame(frame, ucast);
	CU_ASSERT_EQUAL(vs_frame_classify(frame, sizeof(frame)),
			VS_FRAME_UNICAST);
	make_frame(frame, almost_bcast);
	CU_ASSERT_EQUAL(vs_frame_classify(frame, sizeof(frame)),
			VS_FRAME_UNICAST);
	/*
	 * Only the destination counts: a broadcast source (bogus, but a guest
	 * may send it) does not make a unicast frame broadcast.
	 */
	memcpy(frame + 6, bcast, 6);
	CU_ASSERT_EQUAL(vs_frame_classify(frame, sizeof(frame)),
			VS_FRAME_UNICAST);
}

static void
test_classify_runt(void)
{
	uint8_t frame[VS_ETH_HDR_LEN];

	make_frame(frame, bcast);
	CU_ASSERT_EQUAL(vs_frame_classify(frame, 0), VS_FRAME_RUNT);
	CU_ASSERT_EQUAL(vs_frame_classify(frame, 6), VS_FRAME_RUNT);
	CU_ASSERT_EQUAL(vs_frame_classify(frame, VS_ETH_HDR_LEN - 1),
			VS_FRAME_RUNT);
	/* A bare header is short but complete: classified by its dst. */
	CU_ASSERT_EQUAL(vs_frame_classify(frame, VS_ETH_HDR_LEN),
			VS_FRAME_BROADCAST);
	make_frame(frame, ucast);
	CU_ASSERT_EQUAL(vs_frame_classify(frame, VS_ETH_HDR_LEN - 1),
			VS_FRAME_RUNT);
	CU_ASSERT_EQUAL(vs_frame_classify(frame, VS_ETH_HDR_LEN),
			VS_FRAME_UNICAST);
}

static void
test_mac_predicates(void)
{
	CU_ASSERT_FALSE(vs_mac_is_valid_src(0));
	CU_ASSERT_FALSE(vs_mac_is_valid_src(VS_MAC_BROADCAST));
	CU_ASSERT_FALSE(vs_mac_is_valid_src(vs_mac_from_bytes(bcast)));
	CU_ASSERT_FALSE(vs_mac_is_valid_src(vs_mac_from_bytes(mcast4)));
	CU_ASSERT_FALSE(vs_mac_is_valid_src(vs_mac_from_bytes(mcast6)));
	CU_ASSERT_TRUE(vs_mac_is_valid_src(vs_mac_from_bytes(ucast)));
	CU_ASSERT_TRUE(vs_mac_is_valid_src(vs_mac_from_bytes(almost_bcast)));

	CU_ASSERT_TRUE(vs_mac_is_multicast(vs_mac_from_bytes(mcast4)));
	CU_ASSERT_TRUE(vs_mac_is_multicast(vs_mac_from_bytes(mcast6)));
	CU_ASSERT_TRUE(vs_mac_is_multicast(VS_MAC_BROADCAST));
	CU_ASSERT_FALSE(vs_mac_is_multicast(vs_mac_from_bytes(ucast)));
	CU_ASSERT_FALSE(vs_mac_is_multicast(0));
	/* The group bit is on the wire's first byte, not the last. */
	CU_ASSERT_FALSE(vs_mac_is_multicast(vs_mac_from_bytes(
		(const uint8_t[6]){ 0x02, 0, 0, 0, 0, 0x01 })));
}

static void
test_decide(void)
{
	struct vs_fdb *fdb = vs_fdb_create(1024);
	uint64_t known = vs_mac_from_bytes(ucast);
	uint64_t unknown = vs_mac_from_bytes(almost_bcast);
	uint64_t m4 = vs_mac_from_bytes(mcast4);
	uint16_t out;

	CU_ASSERT_PTR_NOT_NULL_FATAL(fdb);
	CU_ASSERT_EQUAL(vs_fdb_learn(fdb, known, 2, 1), VS_FDB_LEARN_NEW);
	/*
	 * Group addresses in the table (vs_fdb_learn does not filter them,
	 * and an operator may add them) must still flood.
	 */
	CU_ASSERT_EQUAL(vs_fdb_learn(fdb, m4, 2, 1), VS_FDB_LEARN_NEW);
	CU_ASSERT_EQUAL(vs_fdb_add_static(fdb, VS_MAC_BROADCAST, 2), 0);

	CU_ASSERT_EQUAL(vs_l2_decide(fdb, m4, 1, &out), VS_L2_FLOOD);
	CU_ASSERT_EQUAL(vs_l2_decide(fdb, m4, 2, &out), VS_L2_FLOOD);
	CU_ASSERT_EQUAL(vs_l2_decide(fdb, VS_MAC_BROADCAST, 1, &out),
			VS_L2_FLOOD);
	CU_ASSERT_EQUAL(vs_l2_decide(fdb, vs_mac_from_bytes(mcast6), 1, &out),
			VS_L2_FLOOD);

	CU_ASSERT_EQUAL(vs_l2_decide(fdb, unknown, 1, &out), VS_L2_FLOOD);

	out = 0xffff;
	CU_ASSERT_EQUAL(vs_l2_decide(fdb, known, 1, &out), VS_L2_FORWARD);
	CU_ASSERT_EQUAL(out, 2);
	CU_ASSERT_EQUAL(vs_l2_decide(fdb, known, 2, &out), VS_L2_SAME_PORT);

	/* Port 0 is a real destination, not a miss. */
	CU_ASSERT_EQUAL(vs_fdb_learn(fdb, known, 0, 1), VS_FDB_LEARN_MOVED);
	out = 0xffff;
	CU_ASSERT_EQUAL(vs_l2_decide(fdb, known, 3, &out), VS_L2_FORWARD);
	CU_ASSERT_EQUAL(out, 0);
	CU_ASSERT_EQUAL(vs_l2_decide(fdb, known, 0, &out), VS_L2_SAME_PORT);

	/* Forgotten stations flood again. */
	CU_ASSERT_EQUAL(vs_fdb_del(fdb, known), 0);
	CU_ASSERT_EQUAL(vs_l2_decide(fdb, known, 1, &out), VS_L2_FLOOD);
	vs_fdb_free(fdb);
}

static void
test_mac_bytes_round_trip(void)
{
	uint8_t b[6];
	uint64_t key = vs_mac_from_bytes((const uint8_t[6]){ 1, 2, 3, 4, 5, 6 });

	/* Wire byte 0 in the lowest bits. */
	CU_ASSERT_EQUAL(key, 0x060504030201ULL);
	CU_ASSERT_EQUAL(vs_mac_from_bytes(bcast), VS_MAC_BROADCAST);
	CU_ASSERT_EQUAL(vs_mac_from_bytes(mcast4) & 0xff, 0x01);

	vs_mac_to_bytes(key, b);
	CU_ASSERT_EQUAL(memcmp(b, (const uint8_t[6]){ 1, 2, 3, 4, 5, 6 }, 6), 0);

	vs_mac_to_bytes(vs_mac_from_bytes(ucast), b);
	CU_ASSERT_EQUAL(memcmp(b, ucast, 6), 0);
	vs_mac_to_bytes(vs_mac_from_bytes(mcast6), b);
	CU_ASSERT_EQUAL(memcmp(b, mcast6, 6), 0);

	/* vs_mac_to_bytes writes six bytes, not one more. */
	{
		uint8_t guard[8];

		memset(guard, 0xa5, sizeof(guard));
		vs_mac_to_bytes(VS_MAC_BROADCAST, guard);
		CU_ASSERT_EQUAL(memcmp(guard, bcast, 6), 0);
		CU_ASSERT_EQUAL(guard[6], 0xa5);
		CU_ASSERT_EQUAL(guard[7], 0xa5);
	}

	/* Every byte position and value survives the trip both ways. */
	for (unsigned int pos = 0; pos < 6; pos++) {
		for (unsigned int v = 0; v < 256; v++) {
			uint8_t in[6] = { 0 }, back[6];

			in[pos] = (uint8_t)v;
			vs_mac_to_bytes(vs_mac_from_bytes(in), back);
			CU_ASSERT_EQUAL(memcmp(in, back, 6), 0);
			CU_ASSERT_EQUAL(vs_mac_from_bytes(in),
					(uint64_t)v << (8 * pos));
		}
	}
}

int
main(void)
{
	static const struct vs_cunit_test tests[] = {
		{ "classify broadcast", test_classify_broadcast },
		{ "classify multicast", test_classify_multicast },
		{ "classify unicast", test_classify_unicast },
		{ "classify runt", test_classify_runt },
		{ "MAC predicates", test_mac_predicates },
		{ "forwarding decision", test_decide },
		{ "MAC bytes round trip", test_mac_bytes_round_trip },
	};

	return VS_CUNIT_MAIN("l2", NULL, tests);
}
