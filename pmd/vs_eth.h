/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The vhostswitch authors
 */

/*
 * Ethdev ports: any DPDK ethdev, named by PCI address (0000:3b:00.0, bound
 * to vfio-pci by the operator) or by vdev string (net_tap0,iface=...,
 * net_af_packet0,iface=..., net_pcap0,..., net_ring0, net_memif0,...),
 * hot-plugged with rte_dev_probe() and removed with rte_dev_remove().
 *
 * Queues: as many rx queues as asked, spread by RSS; one tx queue per
 * worker when the device has that many (no hand-off rings at all), else
 * one tx queue per rx queue, owned like a vhost queue. Promiscuous mode is
 * on: a switch port hears every MAC. Link state changes are followed by
 * interrupt where the device has them, by polling otherwise, and counted.
 */
#ifndef VS_ETH_H
#define VS_ETH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <rte_mempool.h>

#include "vs_port.h"

#define VS_ETH_DEFAULT_MTU 1500
#define VS_ETH_MAX_MTU 9000
#define VS_ETH_RING_DESC 1024

struct vs_eth_params {
	const char *name;    /* port name */
	const char *devargs; /* PCI address or vdev string */
	uint16_t queues;     /* rx queues (1..VS_PORT_QUEUES_MAX) */
	bool no_offload;     /* use none of the device's tx offloads */
};

/*
 * Sets up the ethdev side: the mbuf pool for a device's NUMA node, the
 * number of workers (for per-worker tx queues), and the dataplane's
 * quiescent wait (used while a device is reconfigured).
 */
void vs_eth_init(struct rte_mempool *(*pool_for_node)(int node, bool *fallback),
		 void (*quiesce)(void), unsigned int n_workers);

/*
 * Probes the device (if it is not there yet), configures and starts it.
 * Returns NULL, sets rte_errno and writes a one-line reason to err.
 */
struct vs_port *vs_eth_port_create(const struct vs_eth_params *params,
				   char *err, size_t errlen);

/*
 * Sets the MTU (68..VS_ETH_MAX_MTU), restarting the device when its
 * receive side must change (scatter for frames larger than an mbuf).
 * Refuses what the device cannot do. Control thread. 0 or -errno.
 */
int vs_eth_set_mtu(struct vs_port *port, uint16_t mtu, char *err, size_t errlen);

/* Re-reads the link of ports without link interrupts. Control thread. */
void vs_eth_poll_links(void);

/* What an eth port shows about itself. */
struct vs_eth_info {
	uint16_t port_id;
	char dev_name[64];
	const char *driver;
	const char *devargs;
	uint16_t mtu;
	uint16_t nb_rxq;
	uint16_t nb_txq;
	bool txq_per_worker;
	bool offload;        /* the device's tx offloads may be used */
	bool link_up;
	uint32_t link_speed; /* Mb/s */
	bool lsc_interrupt;
	uint64_t link_changes;
};

/* Fills *info; 0, or -EINVAL for another kind of port. */
int vs_eth_port_info(const struct vs_port *port, struct vs_eth_info *info);

/*
 * Calls fn for every non-zero extended statistic of the device. Control
 * thread. Returns the number reported or -errno.
 */
int vs_eth_xstats(const struct vs_port *port,
		  void (*fn)(const char *name, uint64_t value, void *arg), void *arg);

#endif /* VS_ETH_H */
