/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The vhostswitch authors
 */

/*
 * vhost-user ports, on DPDK's rte_vhost.
 *
 * A port owns one vhost-user socket, as server (the VMM connects to us) or
 * as client (we connect to the VMM's socket and reconnect whenever it goes
 * away). The guest behind it comes and goes: rte_vhost's event thread calls
 * new_device / destroy_device, which flip the port UP and DOWN; DOWN is
 * followed by a dataplane quiescent period before the callback returns, so
 * no worker touches a device the library is about to free.
 */
#ifndef VS_VHOST_H
#define VS_VHOST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <rte_mempool.h>

#include "vs_port.h"

struct vs_vhost_params {
	const char *name;   /* port name */
	const char *path;   /* socket path */
	bool client;        /* connect to path (and reconnect) instead of listening */
	uint16_t queues;    /* queue pairs polled (1..VS_PORT_QUEUES_MAX); >1 offers multiqueue */
	bool no_offload;    /* offer the guest no checksum or segmentation offload */
};

/*
 * Sets up the vhost-user side: pool_for_node gives the mbuf pool for a
 * guest whose memory is on a NUMA node (setting *fallback when it has to
 * be another node's); quiesce waits until no worker holds anything read
 * before the call.
 */
void vs_vhost_init(struct rte_mempool *(*pool_for_node)(int node, bool *fallback),
		   void (*quiesce)(void));

/*
 * Checks a socket path without changing anything: length, and for a
 * server, that its directory exists and that no other process serves it.
 * Returns 0 or -errno with a one-line reason in err.
 */
int vs_vhost_check_path(const char *path, bool client, char *err, size_t errlen);

/*
 * Creates a port and starts its socket. Returns NULL, sets rte_errno and
 * writes a one-line reason to err on failure.
 */
struct vs_port *vs_vhost_port_create(const struct vs_vhost_params *params,
				     char *err, size_t errlen);

/* What a vhost-user port shows about itself. */
struct vs_vhost_info {
	const char *path;
	bool client;
	bool offload;         /* checksum and TSO offered */
	int vid;              /* -1 without a guest */
	uint64_t features;    /* negotiated virtio features */
	uint16_t vrings;      /* vrings the guest set up */
	uint32_t enabled_mask; /* bit i: vring i enabled */
	int numa_node;        /* of the guest's memory, -1 if unknown */
};

/* Fills *info for a vhost port; returns 0 or -EINVAL for another kind. */
int vs_vhost_port_info(const struct vs_port *port, struct vs_vhost_info *info);

/* The vhost port on socket path, or NULL. Any control thread. */
struct vs_port *vs_vhost_port_by_path(const char *path);

/*
 * Copies the socket path of a vhost port into buf; an empty string for
 * NULL or another kind of port.
 */
void vs_vhost_port_path(const struct vs_port *port, char *buf, size_t len);

/* Features that a port does not offer, with offloads on or off. */
uint64_t vs_vhost_disabled_features(bool offload);

#endif /* VS_VHOST_H */
