/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The vhostswitch authors
 */

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_malloc.h>

#include "vs_port.h"

const char *const vs_drop_names[VS_DROP_MAX] = {
#define VS_DROP_NAME(sym, name, help) [VS_DROP_##sym] = name,
	VS_FOREACH_DROP(VS_DROP_NAME)
#undef VS_DROP_NAME
};

const char *const vs_drop_help[VS_DROP_MAX] = {
#define VS_DROP_HELP(sym, name, help) [VS_DROP_##sym] = help,
	VS_FOREACH_DROP(VS_DROP_HELP)
#undef VS_DROP_HELP
};

/*
 * The registry is changed only by the control plane, under its control
 * lock. A slot is published with a release store once the port is filled
 * in. Threads without the control lock (rte_vhost callbacks) walk it with
 * vs_port_find(), whose lock keeps a port from being freed under them; it
 * is held only for quick, non-blocking work, because a vhost callback may
 * run while a worker waits on the guest's queue lock.
 */
static struct vs_port *ports[VS_MAX_PORTS];
static pthread_mutex_t free_lock = PTHREAD_MUTEX_INITIALIZER;

bool
vs_port_name_valid(const char *name)
{
	size_t len = strnlen(name, VS_PORT_NAME_MAX);

	if (len == 0 || len >= VS_PORT_NAME_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.'))
			return false;
	}
	return true;
}

struct vs_port *
vs_port_alloc(const char *name, enum vs_port_kind kind,
	      const struct vs_port_ops *ops, size_t priv_size)
{
	struct vs_port *port;
	int slot = -1;

	if (name == NULL || !vs_port_name_valid(name) || ops == NULL) {
		rte_errno = EINVAL;
		return NULL;
	}
	if (vs_port_by_name(name) != NULL) {
		rte_errno = EEXIST;
		return NULL;
	}
	for (int i = 0; i < VS_MAX_PORTS; i++) {
		if (__atomic_load_n(&ports[i], __ATOMIC_ACQUIRE) == NULL) {
			slot = i;
			break;
		}
	}
	if (slot < 0) {
		rte_errno = ENOSPC;
		return NULL;
	}

	/* Ports live in hugepage memory: workers read them on every burst. */
	port = rte_zmalloc("vs_port", sizeof(*port) + priv_size,
			   RTE_CACHE_LINE_SIZE);
	if (port == NULL) {
		rte_errno = ENOMEM;
		return NULL;
	}
	port->ops = ops;
	port->priv = priv_size ? (void *)(port + 1) : NULL;
	port->index = (uint16_t)slot;
	port->nb_queues = 1;
	port->state = VS_PORT_DOWN;
	port->numa_node = -1;
	port->kind = kind;
	strcpy(port->name, name);
	__atomic_store_n(&ports[slot], port, __ATOMIC_RELEASE);
	return port;
}

void
vs_port_free(struct vs_port *port)
{
	if (port == NULL)
		return;
	pthread_mutex_lock(&free_lock);
	__atomic_store_n(&ports[port->index], NULL, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&free_lock);
	rte_free(port);
}

struct vs_port *
vs_port_by_index(uint16_t index)
{
	if (index >= VS_MAX_PORTS)
		return NULL;
	return __atomic_load_n(&ports[index], __ATOMIC_ACQUIRE);
}

struct vs_port *
vs_port_by_name(const char *name)
{
	for (int i = 0; i < VS_MAX_PORTS; i++) {
		struct vs_port *port = vs_port_by_index((uint16_t)i);

		if (port != NULL && strncmp(port->name, name, VS_PORT_NAME_MAX) == 0)
			return port;
	}
	return NULL;
}

void
vs_port_foreach(void (*fn)(struct vs_port *port, void *arg), void *arg)
{
	for (int i = 0; i < VS_MAX_PORTS; i++) {
		struct vs_port *port = vs_port_by_index((uint16_t)i);

		if (port != NULL)
			fn(port, arg);
	}
}

struct vs_port *
vs_port_find(bool (*match)(const struct vs_port *port, void *arg), void *arg)
{
	struct vs_port *found = NULL;

	pthread_mutex_lock(&free_lock);
	for (int i = 0; i < VS_MAX_PORTS && found == NULL; i++) {
		struct vs_port *port = vs_port_by_index((uint16_t)i);

		if (port != NULL && match(port, arg))
			found = port;
	}
	pthread_mutex_unlock(&free_lock);
	return found;
}

unsigned int
vs_port_count(void)
{
	unsigned int n = 0;

	for (int i = 0; i < VS_MAX_PORTS; i++)
		if (vs_port_by_index((uint16_t)i) != NULL)
			n++;
	return n;
}
