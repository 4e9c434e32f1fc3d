/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The vhostswitch authors
 */

#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <rte_bus.h>
#include <rte_dev.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include "vs_eth.h"
#include "vs_log.h"
#include "vs_offload.h"

/* Mbufs that must stay free for the guests after a NIC fills its rings. */
#define VS_ETH_POOL_RESERVE 4096

struct vs_eth_port {
	uint16_t port_id;
	uint16_t nb_rxq;
	uint16_t nb_txq;
	uint16_t mtu;
	bool txq_per_worker;
	bool offload;      /* use the device's tx offloads */
	bool lsc;          /* the device reports link changes by interrupt */
	bool started;
	bool probed;       /* we probed it, so we remove it */
	bool link_up;      /* last link state seen. control or interrupt thread */
	uint64_t link_changes;
	struct rte_mempool *pool;
	/*
	 * Device counters survive restarts only here: a reconfiguration may
	 * reset the device's own (af_packet keeps them in its queues), so
	 * what it had counted before is carried. Control threads, under the
	 * control lock.
	 */
	struct rte_eth_stats carry;
	struct rte_eth_stats last; /* the last reading, carry included */
	char devargs[256];
	char dev_name[RTE_ETH_NAME_MAX_LEN];
	/*
	 * The kernel interface under an af_packet device: its PMD reports
	 * the link up for ever, so the carrier is read from the kernel.
	 */
	char kernel_iface[IF_NAMESIZE];
};

static struct rte_mempool *(*eth_pool_for_node)(int node, bool *fallback);
static void (*eth_quiesce)(void);
static unsigned int eth_workers = 1;

void
vs_eth_init(struct rte_mempool *(*pool_for_node)(int node, bool *fallback),
	    void (*quiesce)(void), unsigned int n_workers)
{
	eth_pool_for_node = pool_for_node;
	eth_quiesce = quiesce;
	eth_workers = n_workers ? n_workers : 1;
}

static uint16_t
eth_rx_burst(struct vs_port *port, uint16_t qid, struct rte_mbuf **pkts,
	     uint16_t n)
{
	const struct vs_eth_port *ep = port->priv;

	return rte_eth_rx_burst(ep->port_id, qid, pkts, n);
}

/*
 * The device's own preparation of a burst's offload requests. A frame
 * it refuses goes to the end, so one bad request costs that frame only,
 * not the frames behind it; those it accepts stay in order at the front.
 */
static uint16_t
eth_tx_prepare(struct vs_port *port, uint16_t qid, struct rte_mbuf **pkts,
	       uint16_t n)
{
	const struct vs_eth_port *ep = port->priv;
	uint16_t i = 0;

	/*
	 * Frames that still ask for work here are the device's to finish:
	 * the dataplane made them private (vs_offload.h). A segmentation
	 * request includes the IPv4 header checksums of the segments.
	 */
	for (uint16_t j = 0; j < n; j++)
		if ((pkts[j]->ol_flags & (RTE_MBUF_F_TX_TCP_SEG | RTE_MBUF_F_TX_IPV4)) ==
		    (RTE_MBUF_F_TX_TCP_SEG | RTE_MBUF_F_TX_IPV4))
			pkts[j]->ol_flags |= RTE_MBUF_F_TX_IP_CKSUM;
	while (i < n) {
		struct rte_mbuf *bad;

		i += rte_eth_tx_prepare(ep->port_id, qid, pkts + i, n - i);
		if (i == n)
			break;
		bad = pkts[i];
		memmove(&pkts[i], &pkts[i + 1], (size_t)(n - i - 1) * sizeof(*pkts));
		pkts[--n] = bad;
	}
	return n;
}

static uint16_t
eth_tx_burst(struct vs_port *port, uint16_t qid, struct rte_mbuf **pkts,
	     uint16_t n)
{
	const struct vs_eth_port *ep = port->priv;
	uint16_t sent = rte_eth_tx_burst(ep->port_id, qid, pkts, n);

	/* The device owns what it took; the rest is ours to free. */
	if (unlikely(sent < n))
		rte_pktmbuf_free_bulk(pkts + sent, n - sent);
	return sent;
}

static void
stats_add(struct rte_eth_stats *a, const struct rte_eth_stats *b)
{
	a->ipackets += b->ipackets;
	a->opackets += b->opackets;
	a->ibytes += b->ibytes;
	a->obytes += b->obytes;
	a->imissed += b->imissed;
	a->ierrors += b->ierrors;
	a->oerrors += b->oerrors;
	a->rx_nombuf += b->rx_nombuf;
}

/* The device's counters since the port was created, restarts included. */
static const struct rte_eth_stats *
eth_stats(struct vs_eth_port *ep)
{
	struct rte_eth_stats st;

	if (rte_eth_stats_get(ep->port_id, &st) == 0) {
		stats_add(&st, &ep->carry);
		ep->last = st;
	}
	return &ep->last;
}

static void
eth_read_counters(const struct vs_port *port, struct vs_port_counters *acc)
{
	const struct rte_eth_stats *st = eth_stats(port->priv);

	/*
	 * What left the port is what the device sent: a frame it accepted
	 * from us and then failed to send is a tx_error, not a transmission.
	 */
	acc->tx_packets = st->opackets;
	acc->tx_bytes = st->obytes;
	acc->drops[VS_DROP_RX_MISSED] += st->imissed;
	acc->drops[VS_DROP_RX_ERRORS] += st->ierrors;
	acc->drops[VS_DROP_TX_ERRORS] += st->oerrors;
	acc->drops[VS_DROP_NO_MBUF] += st->rx_nombuf;
}

/* The carrier of a kernel interface: true when it is up and running. */
static bool
kernel_carrier(const char *iface)
{
	struct ifreq ifr = { 0 };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	bool up = false;

	if (fd < 0)
		return true; /* cannot tell: trust the PMD */
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", iface);
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) == 0)
		up = (ifr.ifr_flags & IFF_UP) && (ifr.ifr_flags & IFF_RUNNING);
	close(fd);
	return up;
}

/* Remembers iface=NAME of an af_packet device, whose link we must watch. */
static void
find_kernel_iface(struct vs_eth_port *ep, const char *driver)
{
	const char *p;
	size_t len;

	if (driver == NULL || strcmp(driver, "net_af_packet") != 0)
		return;
	p = strstr(ep->devargs, "iface=");
	if (p == NULL)
		return;
	p += 6;
	len = strcspn(p, ",");
	if (len == 0 || len >= sizeof(ep->kernel_iface))
		return;
	memcpy(ep->kernel_iface, p, len);
	ep->kernel_iface[len] = '\0';
}

/*
 * Brings the port's state in line with the device's link, counting the
 * change as an event unless the caller itself took the link down.
 */
static void
link_sync(struct vs_port *port, bool count)
{
	struct vs_eth_port *ep = port->priv;
	struct rte_eth_link link;
	bool up;

	if (!ep->started || rte_eth_link_get_nowait(ep->port_id, &link) != 0)
		return;
	up = link.link_status == RTE_ETH_LINK_UP &&
	     (ep->kernel_iface[0] == '\0' || kernel_carrier(ep->kernel_iface));
	/*
	 * Down, workers stop polling and count what they would send as
	 * not_ready; the device stays configured, so nothing else changes.
	 */
	vs_port_set_state(port, up ? VS_PORT_UP : VS_PORT_DOWN);
	if (up == __atomic_load_n(&ep->link_up, __ATOMIC_RELAXED))
		return;
	__atomic_store_n(&ep->link_up, up, __ATOMIC_RELAXED);
	if (!count)
		return;
	__atomic_fetch_add(&ep->link_changes, 1, __ATOMIC_RELAXED);
	__atomic_fetch_add(up ? &port->events.connects : &port->events.disconnects,
			   1, __ATOMIC_RELAXED);
	VS_LOG(INFO, "port %s: link %s (%u Mb/s)", port->name, up ? "up" : "down",
	       up ? link.link_speed : 0);
}

static void
link_update(struct vs_port *port)
{
	link_sync(port, true);
}

static int
lsc_event(uint16_t port_id __rte_unused, enum rte_eth_event_type type,
	  void *arg, void *ret_param __rte_unused)
{
	if (type == RTE_ETH_EVENT_INTR_LSC)
		link_update(arg);
	return 0;
}

static void
poll_link(struct vs_port *port, void *arg __rte_unused)
{
	const struct vs_eth_port *ep = port->priv;

	if (port->kind != VS_PORT_KIND_ETH)
		return;

	/*
	 * Every port, interrupts or not: some PMDs that advertise them (net_tap)
	 * only ever update their stored state and never raise the event.
	 */
	if (ep->started)
		link_update(port);
}

void
vs_eth_poll_links(void)
{
	vs_port_foreach(poll_link, NULL);
}

/* Stops link interrupts; on return no lsc_event() runs for this port. */
static void
lsc_stop(struct vs_eth_port *ep, struct vs_port *port)
{
	if (!ep->lsc)
		return;
	/* The interrupt thread may be in the callback: wait it out. */
	while (rte_eth_dev_callback_unregister(ep->port_id, RTE_ETH_EVENT_INTR_LSC,
					       lsc_event, port) == -EAGAIN)
		rte_pause();
}

static void
lsc_start(struct vs_eth_port *ep, struct vs_port *port)
{
	if (ep->lsc &&
	    rte_eth_dev_callback_register(ep->port_id, RTE_ETH_EVENT_INTR_LSC,
					  lsc_event, port) != 0)
		ep->lsc = false; /* poll it instead */
}

/* Stops the device and releases it; the port has left the dataplane. */
static void
eth_close(struct vs_eth_port *ep, struct vs_port *port)
{
	struct rte_eth_dev_info info;

	lsc_stop(ep, port);
	/* A kernel interface under the device gets its flags back. */
	rte_eth_promiscuous_disable(ep->port_id);
	if (ep->started)
		rte_eth_dev_stop(ep->port_id);
	ep->started = false;
	if (rte_eth_dev_info_get(ep->port_id, &info) != 0)
		info.device = NULL;
	rte_eth_dev_close(ep->port_id);
	if (ep->probed && info.device != NULL && rte_dev_remove(info.device) != 0)
		VS_LOG(WARNING, "cannot remove device %s", ep->dev_name);
}

static void
eth_destroy(struct vs_port *port)
{
	eth_close(port->priv, port);
	vs_port_free(port);
}

static const struct vs_port_ops eth_ops = {
	.rx_burst = eth_rx_burst,
	.tx_prepare = eth_tx_prepare,
	.tx_burst = eth_tx_burst,
	.read_counters = eth_read_counters,
	.destroy = eth_destroy,
};

/* Finds the ethdev a devargs string names; -1 when there is none. */
static int
find_port(const char *devargs)
{
	struct rte_dev_iterator it;
	uint16_t pid;

	if (rte_eth_iterator_init(&it, devargs) != 0)
		return -1;
	pid = rte_eth_iterator_next(&it);
	rte_eth_iterator_cleanup(&it);
	return pid == RTE_MAX_ETHPORTS ? -1 : pid;
}

static bool
port_id_used(const struct vs_port *port, void *arg)
{
	const struct vs_eth_port *ep = port->priv;

	return port->kind == VS_PORT_KIND_ETH && ep->port_id == *(uint16_t *)arg;
}

/*
 * The bytes a frame carries beyond its MTU on this device, counted the
 * way ethdev checks an MTU against max_rx_pktlen: the device's own figure
 * (max_rx_pktlen - max_mtu) where it gives one, else an Ethernet header
 * and FCS. A 1518-byte device (af_packet, memif) so takes MTU 1500.
 */
static uint32_t
eth_overhead(const struct rte_eth_dev_info *info)
{
	if (info->max_mtu != UINT16_MAX && info->max_rx_pktlen > info->max_mtu)
		return info->max_rx_pktlen - info->max_mtu;
	return RTE_ETHER_HDR_LEN + RTE_ETHER_CRC_LEN;
}

/* The largest MTU the device takes: max_mtu, less where its frames are shorter. */
static uint32_t
eth_mtu_max(const struct rte_eth_dev_info *info)
{
	uint32_t over = eth_overhead(info);

	if (info->max_rx_pktlen <= over)
		return info->max_mtu;
	return RTE_MIN((uint32_t)info->max_mtu, info->max_rx_pktlen - over);
}

/*
 * Configures queues, offloads and MTU and starts the device. The device
 * must be stopped. 0 or -errno with the reason in err.
 */
static int
eth_setup(struct vs_port *port, uint16_t mtu, char *err, size_t errlen)
{
	struct vs_eth_port *ep = port->priv;
	struct rte_eth_conf conf = { 0 };
	struct rte_eth_dev_info info;
	uint16_t nrxd = VS_ETH_RING_DESC, ntxd = VS_ETH_RING_DESC;
	uint32_t frame;
	uint32_t room = rte_pktmbuf_data_room_size(ep->pool) - RTE_PKTMBUF_HEADROOM;
	int socket = rte_eth_dev_socket_id(ep->port_id);
	int ret;

	ret = rte_eth_dev_info_get(ep->port_id, &info);
	if (ret != 0) {
		snprintf(err, errlen, "cannot read the device's capabilities");
		return ret;
	}
	frame = (uint32_t)mtu + eth_overhead(&info);
	if (mtu < info.min_mtu || mtu > info.max_mtu || frame > info.max_rx_pktlen) {
		snprintf(err, errlen, "MTU %u is outside what %s takes (%u to %u)",
			 mtu, ep->dev_name, RTE_MAX(info.min_mtu, (uint16_t)68),
			 eth_mtu_max(&info));
		return -EINVAL;
	}
	if (ep->nb_rxq > info.max_rx_queues) {
		snprintf(err, errlen, "%s has %u rx queues, %u asked", ep->dev_name,
			 info.max_rx_queues, ep->nb_rxq);
		return -EINVAL;
	}
	/* One tx queue per worker when the device has them: no hand-offs. */
	ep->txq_per_worker = info.max_tx_queues >= eth_workers;
	ep->nb_txq = ep->txq_per_worker ? (uint16_t)eth_workers : ep->nb_rxq;
	if (ep->nb_txq > info.max_tx_queues) {
		snprintf(err, errlen, "%s has %u tx queues, %u needed", ep->dev_name,
			 info.max_tx_queues, ep->nb_txq);
		return -EINVAL;
	}
	/* Frames larger than an mbuf span several: the device must cope. */
	if (frame > room) {
		if (!(info.rx_offload_capa & RTE_ETH_RX_OFFLOAD_SCATTER) ||
		    !(info.tx_offload_capa & RTE_ETH_TX_OFFLOAD_MULTI_SEGS)) {
			snprintf(err, errlen, "MTU %u needs frames over %u bytes in several "
				 "buffers, which %s cannot receive or send", mtu, room,
				 ep->dev_name);
			return -ENOTSUP;
		}
		conf.rxmode.offloads |= RTE_ETH_RX_OFFLOAD_SCATTER;
	}
	if (info.tx_offload_capa & RTE_ETH_TX_OFFLOAD_MULTI_SEGS)
		conf.txmode.offloads |= RTE_ETH_TX_OFFLOAD_MULTI_SEGS;
	/* Checksums and TSO the device does; the dataplane does the rest. */
	port->tx_offloads = ep->offload ? vs_offload_caps_eth(info.tx_offload_capa) : 0;
	conf.txmode.offloads |= vs_offload_eth_txmode(port->tx_offloads);
	conf.rxmode.mtu = mtu;
	if (ep->nb_rxq > 1) {
		conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		conf.rx_adv_conf.rss_conf.rss_hf = (RTE_ETH_RSS_IP | RTE_ETH_RSS_TCP |
						    RTE_ETH_RSS_UDP) &
						   info.flow_type_rss_offloads;
	}
	ep->lsc = info.dev_flags != NULL && (*info.dev_flags & RTE_ETH_DEV_INTR_LSC);
	conf.intr_conf.lsc = ep->lsc;

	ret = rte_eth_dev_configure(ep->port_id, ep->nb_rxq, ep->nb_txq, &conf);
	if (ret == 0)
		ret = rte_eth_dev_adjust_nb_rx_tx_desc(ep->port_id, &nrxd, &ntxd);

	for (uint16_t q = 0; ret == 0 && q < ep->nb_rxq; q++)
		ret = rte_eth_rx_queue_setup(ep->port_id, q, nrxd, (unsigned int)socket,
					     NULL, ep->pool);
	for (uint16_t q = 0; ret == 0 && q < ep->nb_txq; q++)
		ret = rte_eth_tx_queue_setup(ep->port_id, q, ntxd, (unsigned int)socket,
					     NULL);
	if (ret != 0) {
		snprintf(err, errlen, "cannot configure %s: %s", ep->dev_name,
			 rte_strerror(-ret));
		return ret;
	}
	ret = rte_eth_promiscuous_enable(ep->port_id);
	if (ret != 0 && ret != -ENOTSUP)
		VS_LOG(WARNING, "port %s: promiscuous mode: %s", port->name,
		       rte_strerror(-ret));
	ret = rte_eth_dev_start(ep->port_id);
	if (ret != 0) {
		snprintf(err, errlen, "cannot start %s: %s", ep->dev_name,
			 rte_strerror(-ret));
		return ret;
	}
	ep->started = true;
	ep->mtu = mtu;
	/* Larger frames are dropped on output, under mtu_exceeded. */
	port->max_frame = (uint32_t)mtu + RTE_ETHER_HDR_LEN + 4;
	return 0;
}

struct vs_port *
vs_eth_port_create(const struct vs_eth_params *params, char *err, size_t errlen)
{
	struct vs_eth_port *ep;
	struct vs_port *port;
	bool probed = false, fallback = false;
	uint16_t pid;
	int ret, found;

	if (params->devargs == NULL || params->devargs[0] == '\0' ||
	    strlen(params->devargs) >= sizeof(ep->devargs)) {
		snprintf(err, errlen, "device arguments must be 1 to %zu characters",
			 sizeof(ep->devargs) - 1);
		rte_errno = EINVAL;
		return NULL;
	}
	if (params->queues < 1 || params->queues > VS_PORT_QUEUES_MAX) {
		snprintf(err, errlen, "queues must be 1 to %d", VS_PORT_QUEUES_MAX);
		rte_errno = EINVAL;
		return NULL;
	}
	found = find_port(params->devargs);
	if (found < 0) {
		ret = rte_dev_probe(params->devargs);
		if (ret != 0 && ret != -EEXIST) {
			snprintf(err, errlen, "cannot probe device '%s': %s",
				 params->devargs, rte_strerror(-ret));
			rte_errno = -ret;
			return NULL;
		}
		probed = ret == 0;
		found = find_port(params->devargs);
	}
	if (found < 0) {
		snprintf(err, errlen, "device '%s' has no ethernet port", params->devargs);
		rte_errno = ENODEV;
		return NULL;
	}
	pid = (uint16_t)found;
	if (vs_port_find(port_id_used, &pid) != NULL) {
		snprintf(err, errlen, "device '%s' is already a port", params->devargs);
		rte_errno = EEXIST;
		return NULL;
	}

	port = vs_port_alloc(params->name, VS_PORT_KIND_ETH, &eth_ops, sizeof(*ep));
	if (port == NULL) {
		snprintf(err, errlen, "%s", rte_errno == ENOSPC ? "too many ports" :
			 rte_errno == EEXIST ? "a port with this name exists" :
			 "bad port name or out of memory");
		goto fail_probe;
	}
	ep = port->priv;
	ep->port_id = pid;
	ep->probed = probed;
	ep->nb_rxq = params->queues;
	ep->offload = !params->no_offload;
	snprintf(ep->devargs, sizeof(ep->devargs), "%s", params->devargs);
	rte_eth_dev_get_name_by_port(pid, ep->dev_name);
	port->numa_node = rte_eth_dev_socket_id(pid);
	ep->pool = eth_pool_for_node(port->numa_node, &fallback);
	if (fallback)
		port->events.numa_fallbacks++;
	/*
	 * A NIC may keep an mbuf in every rx descriptor: if that would drain
	 * the pool the guests share, refuse now rather than starve them later.
	 */
	if (rte_mempool_avail_count(ep->pool) <
	    (unsigned int)params->queues * VS_ETH_RING_DESC + VS_ETH_POOL_RESERVE) {
		snprintf(err, errlen, "%u rx queues of %u descriptors would leave too few of "
			 "the %u free mbufs: start the switch with a larger --mbufs",
			 params->queues, VS_ETH_RING_DESC,
			 rte_mempool_avail_count(ep->pool));
		vs_port_free(port);
		rte_errno = ENOSPC;
		goto fail_probe;
	}
	port->nb_queues = params->queues;
	port->rxq_mask = (uint32_t)((1ULL << params->queues) - 1);
	/*
	 * Each worker sends on its own queue, or (per-queue ownership) the
	 * rx owner does: either way the dataplane picks tx queue 0 here.
	 */
	port->txq_mask = 1;

	/* 1500, or less where the device cannot take that. */
	{
		struct rte_eth_dev_info info;
		uint16_t mtu = VS_ETH_DEFAULT_MTU;

		if (rte_eth_dev_info_get(pid, &info) == 0) {
			find_kernel_iface(ep, info.driver_name);
			mtu = (uint16_t)RTE_MIN((uint32_t)mtu, eth_mtu_max(&info));
		}
		if (eth_setup(port, mtu, err, errlen) != 0)
			goto fail_port;
	}
	if (ep->txq_per_worker)
		port->flags |= VS_PORT_F_TXQ_PER_WORKER;
	lsc_start(ep, port);
	link_update(port);
	VS_LOG(INFO, "port %s: %s (port %u, %u rx queues, %u tx queues%s)", port->name,
	       ep->dev_name, pid, ep->nb_rxq, ep->nb_txq,
	       ep->txq_per_worker ? ", one per worker" : "");
	return port;

fail_port:
	ep->lsc = false; /* no callback was registered */
	eth_close(ep, port);
	vs_port_free(port);
	rte_errno = EIO;
	return NULL;
fail_probe:
	if (probed) {
		struct rte_eth_dev_info info;

		if (rte_eth_dev_info_get(pid, &info) == 0) {
			rte_eth_dev_close(pid);
			rte_dev_remove(info.device);
		}
	}
	return NULL;
}

int
vs_eth_set_mtu(struct vs_port *port, uint16_t mtu, char *err, size_t errlen)
{
	struct vs_eth_port *ep = port->priv;
	struct rte_eth_stats before;
	uint16_t old = ep->mtu;
	int ret;

	if (port->kind != VS_PORT_KIND_ETH) {
		snprintf(err, errlen, "only eth ports have an MTU to set");
		return -EINVAL;
	}
	if (mtu == ep->mtu)
		return 0;
	/*
	 * Nobody may bring the port up while the device is stopped: no link
	 * interrupt (unregistered, in-flight calls waited out), and workers
	 * keep away once the port is down and they passed a quiescent point
	 * (invariant 2).
	 */
	lsc_stop(ep, port);
	vs_port_set_state(port, VS_PORT_DOWN);
	eth_quiesce();
	rte_eth_dev_stop(ep->port_id);
	ep->started = false;
	before = *eth_stats(ep);
	ret = eth_setup(port, mtu, err, errlen);
	if (ret != 0) {
		char ignored[128];

		/* Back to what worked; the error says why the new MTU did not. */
		if (eth_setup(port, old, ignored, sizeof(ignored)) != 0)
			VS_LOG(ERR, "port %s: cannot restart with MTU %u", port->name, old);
	}
	/* Counters the restart reset are carried, so none goes backwards. */
	if (eth_stats(ep)->opackets < before.opackets ||
	    eth_stats(ep)->ipackets < before.ipackets) {
		ep->carry = before;
		eth_stats(ep);
	}
	/* A restart is not a link event: it is not counted as one. */
	link_sync(port, false);
	lsc_start(ep, port);
	return ret;
}

int
vs_eth_port_info(const struct vs_port *port, struct vs_eth_info *info)
{
	const struct vs_eth_port *ep = port->priv;
	struct rte_eth_dev_info di;
	struct rte_eth_link link;

	if (port->kind != VS_PORT_KIND_ETH)
		return -EINVAL;
	memset(info, 0, sizeof(*info));
	info->port_id = ep->port_id;
	snprintf(info->dev_name, sizeof(info->dev_name), "%s", ep->dev_name);
	info->driver = rte_eth_dev_info_get(ep->port_id, &di) == 0 ? di.driver_name : "?";
	info->devargs = ep->devargs;
	info->mtu = ep->mtu;
	info->nb_rxq = ep->nb_rxq;
	info->nb_txq = ep->nb_txq;
	info->txq_per_worker = ep->txq_per_worker;
	info->offload = ep->offload;
	info->lsc_interrupt = ep->lsc;
	info->link_changes = __atomic_load_n(&ep->link_changes, __ATOMIC_RELAXED);
	/* The link as the switch sees it (af_packet: the kernel's carrier). */
	info->link_up = __atomic_load_n(&ep->link_up, __ATOMIC_RELAXED);
	if (info->link_up && rte_eth_link_get_nowait(ep->port_id, &link) == 0)
		info->link_speed = link.link_speed;
	return 0;
}

int
vs_eth_xstats(const struct vs_port *port,
	      void (*fn)(const char *name, uint64_t value, void *arg), void *arg)
{
	const struct vs_eth_port *ep = port->priv;
	struct rte_eth_xstat_name *names;
	struct rte_eth_xstat *vals;
	int n, shown = 0;

	if (port->kind != VS_PORT_KIND_ETH)
		return -EINVAL;
	n = rte_eth_xstats_get(ep->port_id, NULL, 0);
	if (n <= 0)
		return n;
	names = calloc((size_t)n, sizeof(*names));
	vals = calloc((size_t)n, sizeof(*vals));
	if (names == NULL || vals == NULL ||
	    rte_eth_xstats_get_names(ep->port_id, names, (unsigned int)n) != n ||
	    rte_eth_xstats_get(ep->port_id, vals, (unsigned int)n) != n) {
		free(names);
		free(vals);
		return -EIO;
	}
	for (int i = 0; i < n; i++) {
		if (vals[i].value != 0 && vals[i].id < (uint64_t)n) {
			fn(names[vals[i].id].name, vals[i].value, arg);
			shown++;
		}
	}
	free(names);
	free(vals);
	return shown;
}
