/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The vhostswitch authors
 */

/*
 * What a cross-worker hand-off costs per frame.
 *
 * The switch's path is reproduced without guests: a "receiving" side
 * allocates mbufs and writes a frame into each (as rte_vhost_dequeue_burst
 * does), a "transmitting" side reads each frame's length and copies its
 * bytes out (as rte_vhost_enqueue_burst does) and frees the burst.
 *
 *   local:   both sides on one lcore, burst after burst (one worker owns
 *            everything: no ring);
 *   handoff: the receiving side on a worker lcore hands bursts to the
 *            transmitting side on the main lcore through an MPSC rte_ring
 *            of the switch's size, as a non-owner worker does.
 *
 * Both print busy TSC cycles per frame; the hand-off's cost is the sum of
 * its two sides minus the local figure (the ring operations and moving the
 * mbufs' and frames' cache lines between cores). Run with two lcores on two
 * CPUs, e.g. --lcores '0@0,1@1'.
 */

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#define BURST 32
#define RING_SIZE 1024

static struct rte_mempool *pool;
static struct rte_ring *ring;
static uint64_t frames = 2000000;
static uint16_t frame_len = 64;
static volatile bool producer_done;
static uint64_t prod_cycles, prod_frames;
static uint8_t sink[2048];

/* The receive side: fresh mbufs with a frame written into each. */
static uint16_t
receive(struct rte_mbuf **pkts, uint64_t seq)
{
	if (rte_pktmbuf_alloc_bulk(pool, pkts, BURST) != 0)
		return 0;
	for (int i = 0; i < BURST; i++) {
		uint8_t *d = (uint8_t *)rte_pktmbuf_append(pkts[i], frame_len);

		memset(d, (int)(seq + (uint64_t)i), frame_len);
	}
	return BURST;
}

/* The transmit side: read each frame, copy it out, free the burst. */
static void
transmit(struct rte_mbuf **pkts, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		memcpy(sink, rte_pktmbuf_mtod(pkts[i], void *),
		       rte_pktmbuf_pkt_len(pkts[i]));
	rte_pktmbuf_free_bulk(pkts, n);
}

static double
run_local(void)
{
	struct rte_mbuf *pkts[BURST];
	uint64_t t0 = rte_rdtsc(), done = 0;

	while (done < frames) {
		uint16_t n = receive(pkts, done);

		transmit(pkts, n);
		done += n;
	}
	return (double)(rte_rdtsc() - t0) / (double)done;
}

static int
producer(void *arg __rte_unused)
{
	struct rte_mbuf *pkts[BURST];
	uint64_t busy = 0, done = 0;

	while (done < frames) {
		uint64_t t0 = rte_rdtsc();
		uint16_t n = receive(pkts, done);
		unsigned int k = 0;

		/* A full ring would be a drop in the switch; here we wait. */
		while (k < n)
			k += rte_ring_mp_enqueue_burst(ring, (void **)pkts + k,
						       n - k, NULL);
		busy += rte_rdtsc() - t0;
		done += n;
	}
	prod_cycles = busy;
	prod_frames = done;
	producer_done = true;
	return 0;
}

static double
run_consumer(void)
{
	struct rte_mbuf *pkts[BURST];
	uint64_t busy = 0, done = 0;

	while (!producer_done || !rte_ring_empty(ring)) {
		uint64_t t0 = rte_rdtsc();
		unsigned int n = rte_ring_sc_dequeue_burst(ring, (void **)pkts,
							   BURST, NULL);

		if (n == 0)
			continue;
		transmit(pkts, n);
		busy += rte_rdtsc() - t0;
		done += n;
	}
	return (double)busy / (double)done;
}

int
main(int argc, char **argv)
{
	unsigned int worker;
	double local, cons, prod;
	int ret = rte_eal_init(argc, argv);

	if (ret < 0) {
		fprintf(stderr, "handoff: EAL initialisation failed\n");
		return 1;
	}
	argc -= ret;
	argv += ret;
	if (argc > 1)
		frames = strtoull(argv[1], NULL, 10);
	if (argc > 2)
		frame_len = (uint16_t)atoi(argv[2]);
	worker = rte_get_next_lcore(-1, 1, 0);
	if (worker >= RTE_MAX_LCORE || frame_len < 14 || frame_len > 1518) {
		fprintf(stderr, "usage: handoff EAL -- [FRAMES] [LEN 14-1518]; needs a worker lcore\n");
		return 2;
	}
	pool = rte_pktmbuf_pool_create("hb_pool", 8191, 256, 0,
				       RTE_MBUF_DEFAULT_BUF_SIZE, (int)rte_socket_id());
	ring = rte_ring_create("hb_ring", RING_SIZE, (int)rte_socket_id(),
			       RING_F_SC_DEQ);
	if (pool == NULL || ring == NULL) {
		fprintf(stderr, "handoff: cannot create the pool or the ring\n");
		return 1;
	}

	/* Warm the pool and caches, then measure. */
	frames /= 10;
	run_local();
	frames *= 10;
	local = run_local();

	rte_eal_remote_launch(producer, NULL, worker);
	cons = run_consumer();
	rte_eal_wait_lcore(worker);
	prod = (double)prod_cycles / (double)prod_frames;

	printf("{\"frames\": %" PRIu64 ", \"frame_len\": %u, \"tsc_hz\": %" PRIu64 ", "
	       "\"local_cycles_per_frame\": %.1f, \"handoff_producer_cycles_per_frame\": %.1f, "
	       "\"handoff_consumer_cycles_per_frame\": %.1f, \"handoff_extra_cycles_per_frame\": %.1f}\n",
	       frames, frame_len, rte_get_tsc_hz(), local, prod, cons, prod + cons - local);
	rte_mempool_free(pool);
	rte_ring_free(ring);
	rte_eal_cleanup();
	return 0;
}
