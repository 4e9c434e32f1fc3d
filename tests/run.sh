#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Runs every test suite of vhostswitch on a fresh Debian 12 host (as root):
# installs what is missing, reserves hugepages, builds, then runs the unit,
# integration and other suites through meson. Extra arguments go to
# `meson test` (for example --suite unit).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/setup-host.sh"
vs_setup
cd "$VS_ROOT"
meson test -C "$BUILD" --print-errorlogs "$@"
