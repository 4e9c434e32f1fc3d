/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The vhostswitch authors
 */

/*
 * Unit tests of flow hashing and queue picking. No EAL: the hash is
 * header-only and DPDK's CRC picks its instructions in a constructor.
 */

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vs_cunit.h"

#include "vs_flow.h"

#define DIM(a) (sizeof(a) / sizeof((a)[0]))
#define FRAME_MAX 128

/* What a test frame carries; build() lays it out on the wire. */
struct spec {
	uint8_t dst[6], src[6];
	/* 0; 1 (802.1Q); 2 (802.1ad outer, 802.1Q inner); 3 (802.1ad) */
	int tags;
	uint16_t tci;
	int ipv;              /* 4 or 6 */
	uint8_t sip[16], dip[16];
	uint8_t proto;
	uint16_t sport, dport;
	uint16_t frag;        /* IPv4 flags and offset, host order */
	uint8_t ihl;          /* IPv4 header length in words; 0 means 5 */
	uint16_t ip_id;       /* fields that are not part of the flow */
	uint8_t ttl;
	uint8_t fill;         /* payload byte */
};

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* Lays out spec as a frame in buf; returns the frame's length. */
static uint32_t
build(const struct spec *s, uint8_t *buf, uint32_t total)
{
	uint8_t *p = buf;
	uint32_t ihl;

	memset(buf, s->fill, total);
	memcpy(p, s->dst, 6);
	memcpy(p + 6, s->src, 6);
	p += 12;
	if (s->tags == 2) {
		put16(p, 0x88a8);
		put16(p + 2, (uint16_t)(s->tci + 1));
		p += 4;
	}
	if (s->tags == 3) {
		put16(p, 0x88a8);
		put16(p + 2, s->tci);
		p += 4;
	}
	if (s->tags == 1 || s->tags == 2) {
		put16(p, 0x8100);
		put16(p + 2, s->tci);
		p += 4;
	}
	if (s->ipv == 4) {
		ihl = s->ihl ? s->ihl : 5;
		put16(p, 0x0800);
		p += 2;
		p[0] = (uint8_t)(0x40 | ihl);
		p[1] = 0;
		put16(p + 2, (uint16_t)(total - (uint32_t)(p - buf)));
		put16(p + 4, s->ip_id);
		put16(p + 6, s->frag);
		p[8] = s->ttl;
		p[9] = s->proto;
		put16(p + 10, (uint16_t)(s->ip_id * 7 + s->ttl));
		memcpy(p + 12, s->sip, 4);
		memcpy(p + 16, s->dip, 4);
		/* A hostile length below 5 words still gets a whole header. */
		p += (ihl < 5 ? 5 : ihl) * 4;
	} else {
		put16(p, 0x86dd);
		p += 2;
		p[0] = 0x60;
		p[1] = s->ttl; /* traffic class and flow label: not hashed */
		put16(p + 4, (uint16_t)(total - (uint32_t)(p - buf) - 40));
		p[6] = s->proto;
		p[7] = s->ttl;
		memcpy(p + 8, s->sip, 16);
		memcpy(p + 24, s->dip, 16);
		p += 40;
	}
	put16(p, s->sport);
	put16(p + 2, s->dport);
	return total;
}

static uint32_t
hash_of(const struct spec *s)
{
	uint8_t buf[FRAME_MAX];
	uint32_t len = build(s, buf, 96);

	return vs_flow_hash(buf, len);
}

static void
random_spec(struct spec *s, int ipv, int tags, uint8_t proto)
{
	uint64_t r;

	memset(s, 0, sizeof(*s));
	for (int i = 0; i < 6; i++) {
		s->dst[i] = (uint8_t)vs_rng_next();
		s->src[i] = (uint8_t)vs_rng_next();
	}
	for (int i = 0; i < 16; i++) {
		s->sip[i] = (uint8_t)vs_rng_next();
		s->dip[i] = (uint8_t)vs_rng_next();
	}
	r = vs_rng_next();
	s->tags = tags;
	s->tci = (uint16_t)(r & 0xfff);
	s->ipv = ipv;
	s->proto = proto;
	s->sport = (uint16_t)(r >> 16);
	s->dport = (uint16_t)(r >> 32);
	s->ip_id = (uint16_t)(r >> 48);
	s->ttl = 64;
	s->fill = 0xa5;
}

static void
test_same_flow(void)
{
	struct spec a, b;

	vs_rng_seed(1);
	for (int i = 0; i < 64; i++) {
		random_spec(&a, i & 1 ? 6 : 4, (i >> 1) & 1, i & 4 ? 17 : 6);
		b = a;
		CU_ASSERT_EQUAL(hash_of(&a), hash_of(&b));
		/* Fields outside the flow do not count. */
		b.ip_id ^= 0x1234;
		b.ttl = 3;
		b.fill = 0x5a;
		CU_ASSERT_EQUAL(hash_of(&a), hash_of(&b));
	}
}

/* Every single-field change gives another hash, on a fixed set of samples. */
static void
test_fields_change_hash(void)
{
	static const struct {
		int ipv, tags;
		uint8_t proto;
	} kinds[] = {
		{ 4, 0, 6 }, { 4, 0, 17 }, { 4, 0, 132 }, { 4, 1, 6 },
		{ 6, 0, 6 }, { 6, 0, 17 }, { 6, 1, 17 }, { 4, 3, 6 },
	};
	unsigned int same = 0, checked = 0;

	vs_rng_seed(2);
	for (unsigned int k = 0; k < DIM(kinds); k++) {
		for (int i = 0; i < 32; i++) {
			struct spec base, m;
			uint32_t h;
			int alen = kinds[k].ipv == 4 ? 4 : 16;

			random_spec(&base, kinds[k].ipv, kinds[k].tags,
				    kinds[k].proto);
			h = hash_of(&base);
#define CHANGED(stmt) do {			\
		m = base;			\
		stmt;				\
		same += hash_of(&m) == h;	\
		checked++;			\
	} while (0)
			CHANGED(m.dst[i % 6] ^= 1u << (i % 8));
			CHANGED(m.src[i % 6] ^= 0x80);
			CHANGED(m.sip[i % alen] ^= 1);
			CHANGED(m.dip[i % alen] ^= 0x40);
			CHANGED(m.sport++);
			CHANGED(m.dport ^= 0x8000);
			CHANGED(m.proto = m.proto == 6 ? 17 : 6);
			/* Source and destination are not interchangeable. */
			CHANGED(memcpy(m.sip, base.dip, 16);
				memcpy(m.dip, base.sip, 16));
			CHANGED(m.sport = base.dport; m.dport = base.sport);
			if (kinds[k].tags)
				CHANGED(m.tci ^= 1);
#undef CHANGED
		}
	}
	CU_ASSERT(checked > 2000);
	CU_ASSERT_EQUAL(same, 0);
}

/*
 * The ether type is part of the flow even when nothing behind it is
 * parsed: ARP and LLDP between the same two stations are two flows.
 */
static void
test_ether_type(void)
{
	uint8_t a[64], b[64];
	unsigned int same = 0;

	vs_rng_seed(10);
	for (int i = 0; i < 64; i++) {
		for (unsigned int j = 0; j < sizeof(a); j++)
			a[j] = (uint8_t)vs_rng_next();
		put16(a + 12, 0x0806);
		memcpy(b, a, sizeof(b));
		put16(b + 12, 0x88cc);
		same += vs_flow_hash(a, sizeof(a)) == vs_flow_hash(b, sizeof(b));
		/* Nor is anything behind a non-IP ether type hashed. */
		b[12] = a[12];
		b[13] = a[13];
		b[40] ^= 0xff;
		same += vs_flow_hash(a, sizeof(a)) != vs_flow_hash(b, sizeof(b));
	}
	CU_ASSERT_EQUAL(same, 0);
}

/*
 * An IPv4 header length below 20 bytes is garbage: whatever it points at
 * (the TTL, protocol and checksum here) must not be hashed as ports.
 */
static void
test_ipv4_bad_ihl(void)
{
	struct spec s, m;

	vs_rng_seed(11);
	for (uint8_t ihl = 1; ihl < 5; ihl++) {
		random_spec(&s, 4, 0, 6);
		s.ihl = ihl;
		m = s;
		m.ttl = (uint8_t)(s.ttl + 1);
		m.ip_id = (uint16_t)(s.ip_id + 1);
		CU_ASSERT_EQUAL(hash_of(&s), hash_of(&m));
		/* The addresses still count. */
		m = s;
		m.sip[0] ^= 1;
		CU_ASSERT_NOT_EQUAL(hash_of(&s), hash_of(&m));
	}
}

static void
test_ipv4_fragments(void)
{
	struct spec first, later, whole, mid;

	vs_rng_seed(3);
	for (int i = 0; i < 32; i++) {
		random_spec(&first, 4, i & 1, i & 2 ? 17 : 6);
		/* First fragment: MF set, offset 0, the real ports. */
		first.frag = 0x2000;
		/* Last fragment: offset 185 (1480 bytes), payload bytes. */
		later = first;
		later.frag = 185;
		later.sport = (uint16_t)~first.sport;
		later.dport = (uint16_t)(first.dport + 99);
		later.fill = 0x11;
		CU_ASSERT_EQUAL(hash_of(&first), hash_of(&later));
		/* A middle fragment, with DF noise that means nothing here. */
		mid = later;
		mid.frag = 0x2000 | 0x4000 | 92;
		CU_ASSERT_EQUAL(hash_of(&first), hash_of(&mid));
		/*
		 * The control: unfragmented (DF set or not) those different
		 * ports do make different flows.
		 */
		whole = first;
		whole.frag = 0x4000;
		later.frag = 0;
		CU_ASSERT_NOT_EQUAL(hash_of(&whole), hash_of(&later));
		whole.frag = 0;
		CU_ASSERT_NOT_EQUAL(hash_of(&whole), hash_of(&later));
		/* A DF-only frame is not a fragment: same hash as no flags. */
		later = whole;
		later.frag = 0x4000;
		CU_ASSERT_EQUAL(hash_of(&whole), hash_of(&later));
	}
}

static void
test_vlan(void)
{
	struct spec s, m;

	vs_rng_seed(4);
	for (int i = 0; i < 32; i++) {
		random_spec(&s, i & 1 ? 6 : 4, 1, 6);
		/* The inner addresses and ports are hashed. */
		m = s;
		m.sip[0] ^= 1;
		CU_ASSERT_NOT_EQUAL(hash_of(&s), hash_of(&m));
		m = s;
		m.dport ^= 1;
		CU_ASSERT_NOT_EQUAL(hash_of(&s), hash_of(&m));
		/* The same tag and inner flow: same hash. */
		m = s;
		m.fill = 0;
		CU_ASSERT_EQUAL(hash_of(&s), hash_of(&m));
		/* A single 802.1ad tag is skipped the same way. */
		s.tags = 3;
		m = s;
		m.dip[3] ^= 0x20;
		CU_ASSERT_NOT_EQUAL(hash_of(&s), hash_of(&m));
		m = s;
		m.sport ^= 0x20;
		CU_ASSERT_NOT_EQUAL(hash_of(&s), hash_of(&m));
		/*
		 * At most one tag is skipped: behind two, IP is not parsed,
		 * so the inner addresses and ports no longer count.
		 */
		s.tags = 2;
		m = s;
		m.sip[1] ^= 0xff;
		m.dip[2] ^= 0x0f;
		m.sport ^= 0x1234;
		CU_ASSERT_EQUAL(hash_of(&s), hash_of(&m));
	}
}

static void
test_ipv6(void)
{
	struct spec s, m;

	vs_rng_seed(5);
	for (int i = 0; i < 32; i++) {
		random_spec(&s, 6, 0, 6);
		m = s;
		m.sip[15] ^= 1;
		CU_ASSERT_NOT_EQUAL(hash_of(&s), hash_of(&m));
		m = s;
		m.dip[0] ^= 0x80;
		CU_ASSERT_NOT_EQUAL(hash_of(&s), hash_of(&m));
		m = s;
		m.sport ^= 0x0100;
		CU_ASSERT_NOT_EQUAL(hash_of(&s), hash_of(&m));
		m = s;
		m.dport ^= 0x0001;
		CU_ASSERT_NOT_EQUAL(hash_of(&s), hash_of(&m));
		/* Traffic class, flow label and hop limit are not the flow. */
		m = s;
		m.ttl = 1;
		CU_ASSERT_EQUAL(hash_of(&s), hash_of(&m));
		/*
		 * Behind a fragment header (44) the bytes after the fixed
		 * header are not ports: fragments of one datagram agree.
		 */
		s.proto = 44;
		m = s;
		m.sport ^= 0xabcd;
		m.dport ^= 0x4321;
		CU_ASSERT_EQUAL(hash_of(&s), hash_of(&m));
		/* Neither are an ICMPv6 message's first bytes. */
		s.proto = 58;
		m = s;
		m.sport ^= 0xabcd;
		CU_ASSERT_EQUAL(hash_of(&s), hash_of(&m));
	}
}

/* The k-th set bit of mask, the slow and obvious way. */
static uint16_t
kth_bit(uint32_t mask, uint32_t k)
{
	for (uint16_t b = 0; b < 32; b++) {
		if (!(mask & (1u << b)))
			continue;
		if (k-- == 0)
			return b;
	}
	return 0;
}

static void
test_pick(void)
{
	unsigned int bad = 0;

	CU_ASSERT_EQUAL(vs_flow_pick(0, 0), 0);
	CU_ASSERT_EQUAL(vs_flow_pick(0xffffffffu, 0), 0);
	CU_ASSERT_EQUAL(vs_flow_pick(0x12345678u, 0), 0);
	for (uint16_t b = 0; b < 32; b++) {
		CU_ASSERT_EQUAL(vs_flow_pick(0, 1u << b), b);
		CU_ASSERT_EQUAL(vs_flow_pick(0xffffffffu, 1u << b), b);
	}
	/* The ends of the hash range pick the lowest and highest set bit. */
	CU_ASSERT_EQUAL(vs_flow_pick(0, 0x80010100u), 8);
	CU_ASSERT_EQUAL(vs_flow_pick(0xffffffffu, 0x80010100u), 31);
	CU_ASSERT_EQUAL(vs_flow_pick(0x80000000u, 0xfu), 2);
	CU_ASSERT_EQUAL(vs_flow_pick(0x7fffffffu, 0xfu), 1);

	vs_rng_seed(6);
	for (int i = 0; i < 200000; i++) {
		uint32_t hash = (uint32_t)vs_rng_next();
		uint32_t mask = (uint32_t)vs_rng_next();
		uint16_t q;
		uint32_t k;

		/* Sparse masks too, like a port with few queues. */
		if (i & 1)
			mask &= (uint32_t)vs_rng_next() & (uint32_t)vs_rng_next();
		q = vs_flow_pick(hash, mask);
		if (mask == 0) {
			bad += q != 0;
			continue;
		}
		bad += q >= 32 || !(mask & (1u << q));
		/* Exactly the k-th set bit, k = hash * n / 2^32. */
		k = (uint32_t)(((uint64_t)hash * __builtin_popcount(mask)) >> 32);
		bad += q != kth_bit(mask, k);
		/* Stable. */
		bad += vs_flow_pick(hash, mask) != q;
	}
	CU_ASSERT_EQUAL(bad, 0);
}

/* 10000 distinct flows over a mask land within 10% of even on each queue. */
static void
check_spread(uint32_t mask, int ipv)
{
	enum { FLOWS = 10000 };
	unsigned int count[32] = { 0 };
	unsigned int n = (unsigned int)__builtin_popcount(mask);
	double even = (double)FLOWS / n;
	struct spec s;

	vs_rng_seed(7);
	random_spec(&s, ipv, 0, 6);
	for (unsigned int f = 0; f < FLOWS; f++) {
		/* Sequential ports and addresses, as real flows often are. */
		s.sport = (uint16_t)(1024 + f);
		s.sip[ipv == 4 ? 3 : 15] = (uint8_t)(f >> 8);
		count[vs_flow_pick(hash_of(&s), mask)]++;
	}
	for (unsigned int b = 0; b < 32; b++) {
		if (!(mask & (1u << b))) {
			CU_ASSERT_EQUAL(count[b], 0);
			continue;
		}
		CU_ASSERT(count[b] >= 0.9 * even && count[b] <= 1.1 * even);
		if (count[b] < 0.9 * even || count[b] > 1.1 * even)
			fprintf(stderr, "\n  mask %#x queue %u: %u of %u\n",
				mask, b, count[b], FLOWS);
	}
}

static void
test_spread(void)
{
	check_spread(0x3, 4);
	check_spread(0xf, 4);
	check_spread(0x3, 6);
	check_spread(0xf, 6);
	/* Queues 1, 4, 6 of a port: a mask with holes. */
	check_spread(0x52, 4);
}

/*
 * A page followed by an inaccessible one: a frame placed to end at the
 * boundary faults on the first byte read past its end.
 */
static uint8_t *
guard_map(size_t *page)
{
	uint8_t *mem;

	*page = (size_t)sysconf(_SC_PAGESIZE);
	mem = mmap(NULL, 2 * *page, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		return NULL;
	if (mprotect(mem + *page, *page, PROT_NONE) != 0) {
		munmap(mem, 2 * *page);
		return NULL;
	}
	return mem;
}

/* Proves the guard works: a read one byte past the boundary kills a child. */
static void
test_guard_faults(void)
{
	size_t page;
	uint8_t *mem = guard_map(&page);
	pid_t pid;
	int status;

	CU_ASSERT_PTR_NOT_NULL_FATAL(mem);
	pid = fork();
	CU_ASSERT_FATAL(pid >= 0);
	if (pid == 0) {
		volatile const uint8_t *end = mem + page;
		const struct rlimit no_core = { 0, 0 };

		/* The expected crash should leave no core file behind. */
		setrlimit(RLIMIT_CORE, &no_core);
		signal(SIGSEGV, SIG_DFL);
		(void)*end;
		_exit(0);
	}
	CU_ASSERT_EQUAL_FATAL(waitpid(pid, &status, 0), pid);
	CU_ASSERT_TRUE(WIFSIGNALED(status));
	if (WIFSIGNALED(status))
		CU_ASSERT_EQUAL(WTERMSIG(status), SIGSEGV);
	munmap(mem, 2 * page);
}

/*
 * Hashes every prefix of frame, 0 to len bytes, each placed to end at the
 * guard, into h[0..len].
 */
static void
hash_prefixes(const uint8_t *frame, uint32_t len, uint32_t *h)
{
	size_t page;
	uint8_t *mem = guard_map(&page);

	CU_ASSERT_PTR_NOT_NULL_FATAL(mem);
	for (uint32_t l = 0; l <= len; l++) {
		uint8_t *p = mem + page - l;

		memcpy(p, frame, l);
		h[l] = vs_flow_hash(p, l);
	}
	munmap(mem, 2 * page);
}

/* Counts prefix lengths in [from, to] whose hash is not h[ref]. */
static unsigned int
differ(const uint32_t *h, uint32_t from, uint32_t to, uint32_t ref)
{
	unsigned int n = 0;

	for (uint32_t l = from; l <= to; l++)
		n += h[l] != h[ref];
	return n;
}

/*
 * Every prefix of a TCP/IPv4 frame, 0 to 80 bytes, ends at a PROT_NONE
 * page: a read past the end would kill the test. The hashes also show what
 * each length could read: the Ethernet header alone up to 33 bytes, the IP
 * addresses and protocol from 34, the ports from 38 on.
 */
static void
test_bounds_ipv4(void)
{
	uint8_t frame[80];
	uint32_t h[81];
	struct spec s;

	vs_rng_seed(8);
	random_spec(&s, 4, 0, 6);
	build(&s, frame, sizeof(frame));
	hash_prefixes(frame, sizeof(frame), h);
	CU_ASSERT_EQUAL(differ(h, 14, 33, 14), 0);
	CU_ASSERT_EQUAL(differ(h, 34, 37, 34), 0);
	CU_ASSERT_EQUAL(differ(h, 38, 80, 80), 0);
	CU_ASSERT_NOT_EQUAL(h[14], h[34]);
	CU_ASSERT_NOT_EQUAL(h[34], h[80]);
	/* Runts hash what they have: each length differs from the next. */
	for (uint32_t l = 0; l < 14; l++)
		CU_ASSERT_NOT_EQUAL(h[l], h[l + 1]);

	/* The same with a tag: everything shifts by four bytes. */
	s.tags = 1;
	build(&s, frame, sizeof(frame));
	hash_prefixes(frame, sizeof(frame), h);
	CU_ASSERT_EQUAL(differ(h, 14, 17, 14), 0);
	CU_ASSERT_EQUAL(differ(h, 18, 37, 18), 0);
	CU_ASSERT_EQUAL(differ(h, 38, 41, 38), 0);
	CU_ASSERT_EQUAL(differ(h, 42, 80, 80), 0);

	/*
	 * A hostile header length of 60 bytes: the ports would lie at 74..77,
	 * so they count only from 78 bytes on.
	 */
	s.tags = 0;
	s.ihl = 15;
	build(&s, frame, sizeof(frame));
	hash_prefixes(frame, sizeof(frame), h);
	CU_ASSERT_EQUAL(differ(h, 34, 77, 34), 0);
	CU_ASSERT_EQUAL(differ(h, 78, 80, 80), 0);
	CU_ASSERT_NOT_EQUAL(h[77], h[78]);

	/* A header length below 20 bytes: addresses, but never ports. */
	s.ihl = 2;
	build(&s, frame, sizeof(frame));
	hash_prefixes(frame, sizeof(frame), h);
	CU_ASSERT_EQUAL(differ(h, 34, 80, 34), 0);
}

static void
test_bounds_ipv6(void)
{
	uint8_t frame[80];
	uint32_t h[81];
	struct spec s;

	vs_rng_seed(9);
	random_spec(&s, 6, 0, 17);
	build(&s, frame, sizeof(frame));
	hash_prefixes(frame, sizeof(frame), h);
	/* Ethernet to 53, the fixed IPv6 header from 54, ports from 58. */
	CU_ASSERT_EQUAL(differ(h, 14, 53, 14), 0);
	CU_ASSERT_EQUAL(differ(h, 54, 57, 54), 0);
	CU_ASSERT_EQUAL(differ(h, 58, 80, 80), 0);
	CU_ASSERT_NOT_EQUAL(h[53], h[54]);
	CU_ASSERT_NOT_EQUAL(h[57], h[58]);
}

int
main(void)
{
	static const struct vs_cunit_test tests[] = {
		{ "same flow, same hash", test_same_flow },
		{ "every flow field changes the hash", test_fields_change_hash },
		{ "ether type is hashed", test_ether_type },
		{ "IPv4 header length below 20", test_ipv4_bad_ihl },
		{ "IPv4 fragments ignore ports", test_ipv4_fragments },
		{ "VLAN tag: inner IP hashed", test_vlan },
		{ "IPv6", test_ipv6 },
		{ "pick: set bits only, stable", test_pick },
		{ "pick: even spread", test_spread },
		{ "guard page faults", test_guard_faults },
		{ "bounds: TCP/IPv4 prefixes at a guard page", test_bounds_ipv4 },
		{ "bounds: UDP/IPv6 prefixes at a guard page", test_bounds_ipv6 },
	};

	return VS_CUNIT_MAIN("flow", NULL, tests);
}
