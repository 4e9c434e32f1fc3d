#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# The main job, from a fresh Debian 12 host (as root): installs what is
# missing, builds, reserves hugepages, starts vhostswitch on its embedded
# default (two vhost-user server ports, /run/vhostswitch/vhost{0,1}.sock),
# attaches two virtio-user guests (dpdk-testpmd, io forwarding, --tx-first),
# runs traffic through the switch for a few seconds, prints the switch's
# per-port counters and the forwarding rate, and stops everything.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/../tests/setup-host.sh"
vs_setup
exec python3 "$VS_ROOT/bench/loopback.py" --switch "$BUILD/vhostswitch" \
	--backends vhostswitch --rounds 1 --default-ports --echo \
	--stats-interval 2 --warmup 2 --duration 6 "$@"
