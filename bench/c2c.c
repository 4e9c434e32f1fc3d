/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The vhostswitch authors
 */

/*
 * vs-c2c: the round trip of one cache line between two CPUs.
 *
 * A vhost-user switch and its guests talk through shared cache lines
 * (descriptors, ring indexes, packet buffers), so the time a line takes to
 * move between the switch's core and a guest's bounds every figure the
 * benchmarks report. On a virtual machine that time depends on where the
 * host runs the two vCPUs at the moment, and it changes: this program lets
 * the runners record it next to each measurement.
 *
 * usage: vs-c2c [CPU_A CPU_B [ROUND_TRIPS]]   (default 0 1 100000)
 * Prints one JSON line: {"cpus":[A,B],"round_trips":N,"rtt_ns":X}.
 * Exit status 1 with a message when a CPU cannot be used.
 */

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct c2c {
	_Alignas(64) _Atomic uint64_t line;
	int cpu;
	uint64_t n;
};

static int
pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

/* The far side, on a CPU already tried: answers each odd v with v + 1. */
static void *
pong(void *arg)
{
	struct c2c *c = arg;

	(void)pin(c->cpu);
	for (uint64_t i = 0; i < c->n; i++) {
		while (atomic_load_explicit(&c->line, memory_order_acquire) != 2 * i + 1)
			;
		atomic_store_explicit(&c->line, 2 * i + 2, memory_order_release);
	}
	return NULL;
}

static int
parse(const char *s, long max, long *out)
{
	char *end;

	errno = 0;
	*out = strtol(s, &end, 10);
	return errno != 0 || *end != '\0' || *out < 0 || *out > max ? -1 : 0;
}

int
main(int argc, char **argv)
{
	static struct c2c c;
	long a = 0, b = 1, n = 100000;
	struct timespec t0, t1;
	pthread_t th;
	int err;

	if ((argc != 1 && argc != 3 && argc != 4) ||
	    (argc >= 3 && (parse(argv[1], CPU_SETSIZE - 1, &a) < 0 ||
			   parse(argv[2], CPU_SETSIZE - 1, &b) < 0)) ||
	    (argc == 4 && (parse(argv[3], 100000000, &n) < 0 || n == 0))) {
		fprintf(stderr, "usage: vs-c2c [CPU_A CPU_B [ROUND_TRIPS]]\n");
		return 2;
	}
	if (a == b) {
		fprintf(stderr, "vs-c2c: the two CPUs must differ\n");
		return 2;
	}
	/* Both CPUs tried here first, so that the far side cannot fail. */
	if (pin((int)b) != 0 || pin((int)a) != 0) {
		fprintf(stderr, "vs-c2c: cannot run on CPU %ld or %ld\n", a, b);
		return 1;
	}
	c.cpu = (int)b;
	c.n = (uint64_t)n;
	err = pthread_create(&th, NULL, pong, &c);
	if (err != 0) {
		fprintf(stderr, "vs-c2c: thread: %s\n", strerror(err));
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (uint64_t i = 0; i < c.n; i++) {
		atomic_store_explicit(&c.line, 2 * i + 1, memory_order_release);
		while (atomic_load_explicit(&c.line, memory_order_acquire) != 2 * i + 2)
			;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	pthread_join(th, NULL);
	printf("{\"cpus\":[%ld,%ld],\"round_trips\":%ld,\"rtt_ns\":%.1f}\n", a, b, n,
	       ((double)(t1.tv_sec - t0.tv_sec) * 1e9 +
		(double)(t1.tv_nsec - t0.tv_nsec)) / (double)n);
	return 0;
}
