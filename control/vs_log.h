/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The vhostswitch authors
 */

/*
 * Logging. Two DPDK log types, as DPDK's vhost library does: "config" for
 * the control plane (ports, guests, commands) and "data" for anything a
 * worker reports. Data-path messages are always rate-limited: a hostile
 * guest must not be able to flood the log.
 */
#ifndef VS_LOG_H
#define VS_LOG_H

#include <stdint.h>

#include <rte_cycles.h>
#include <rte_log.h>

extern int vs_logtype_config;
extern int vs_logtype_data;

#define VS_LOG(level, fmt, ...)                                                \
	rte_log(RTE_LOG_##level, vs_logtype_config, "vhostswitch: " fmt "\n",   \
		##__VA_ARGS__)

/* State of one rate-limited call site: at most VS_LOG_RL_BURST per second. */
struct vs_log_rl {
	uint64_t window_end;
	uint32_t in_window;
	uint32_t suppressed;
};

#define VS_LOG_RL_BURST 5

/* Returns true when the caller may log now; counts what it suppresses. */
static inline int
vs_log_rl_allow(struct vs_log_rl *rl, uint32_t *suppressed)
{
	uint64_t now = rte_get_tsc_cycles();

	if (now >= rl->window_end) {
		rl->window_end = now + rte_get_tsc_hz();
		*suppressed = rl->suppressed;
		rl->suppressed = 0;
		rl->in_window = 0;
	} else {
		*suppressed = 0;
	}
	if (rl->in_window >= VS_LOG_RL_BURST) {
		rl->suppressed++;
		return 0;
	}
	rl->in_window++;
	return 1;
}

/*
 * Rate-limited log for the data path and for anything a peer can trigger.
 * Each call site keeps its own window, per thread.
 */
#define VS_LOG_RL(type, level, fmt, ...)                                        \
	do {                                                                    \
		static __thread struct vs_log_rl vs_rl_;                         \
		uint32_t vs_supp_;                                              \
		if (vs_log_rl_allow(&vs_rl_, &vs_supp_))                         \
			rte_log(RTE_LOG_##level, type,                          \
				"vhostswitch: " fmt "%s\n", ##__VA_ARGS__,      \
				vs_supp_ ? " (earlier messages suppressed)" : ""); \
	} while (0)

#define VS_DLOG(level, fmt, ...) VS_LOG_RL(vs_logtype_data, level, fmt, ##__VA_ARGS__)

#endif /* VS_LOG_H */
