/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The vhostswitch authors
 */

#include "vs_log.h"

RTE_LOG_REGISTER(vs_logtype_config, vhostswitch.config, INFO);
RTE_LOG_REGISTER(vs_logtype_data, vhostswitch.data, NOTICE);
