/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The vhostswitch authors
 */

/*
 * State shared by the control-plane threads (the main thread, the DPDK
 * telemetry thread). Every reader or writer of the port set, the dataplane
 * configuration or the counter baselines holds the control lock.
 */
#ifndef VS_CTL_H
#define VS_CTL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "vs_port.h"

#define VS_VERSION "0.1.0"

void vs_ctl_lock(void);
void vs_ctl_unlock(void);

/* Seconds since the switch started (monotonic). */
double vs_ctl_uptime(void);

/* a / b for figures such as cycles per packet; 0 when b is 0. */
static inline double
vs_ratio(uint64_t a, uint64_t b)
{
	return b ? (double)a / (double)b : 0.0;
}

/* Formats a MAC key as xx:xx:xx:xx:xx:xx into buf (18 bytes). */
void vs_mac_format(uint64_t mac, char *buf, size_t len);

/*
 * Prints the per-port counter table, the drops by name, the workers and
 * the pool. Rates are over the time since the previous call.
 */
void vs_stats_print(FILE *out);

/* Prints the totals of the whole run and its average forwarding rate. */
void vs_stats_print_final(FILE *out);

/*
 * Serves the control socket at path from a control thread. Returns 0 or
 * -errno with a one-line reason in err.
 */
int vs_ctl_server_start(const char *path, char *err, size_t errlen);

/* Stops the control thread and removes the socket. */
void vs_ctl_server_stop(void);

/* True once a client has sent "shutdown". */
bool vs_ctl_server_quit_requested(void);

/* Registers the /vhostswitch/... telemetry commands. */
int vs_telemetry_register(void);

#endif /* VS_CTL_H */
