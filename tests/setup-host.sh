#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Prepares a Debian 12 host for vhostswitch: installs what is missing,
# reserves hugepages, configures and builds into $BUILD (default: build).
# Sourced by bench/demo.sh and tests/run.sh; needs root for apt and sysctl.
set -euo pipefail

VS_ROOT=${VS_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
BUILD=${BUILD:-$VS_ROOT/build}
VS_PACKAGES="gcc libdpdk-dev dpdk dpdk-dev libnuma-dev libcunit1-dev meson ninja-build pkg-config python3 psmisc clang-14 libclang-rt-14-dev iproute2 iputils-ping ethtool qemu-system-x86 busybox-static cpio gnuplot-nox"
VS_HUGEPAGES=${VS_HUGEPAGES:-1024}

vs_install() {
	local missing=()
	for p in $VS_PACKAGES; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
	done
	if [ ${#missing[@]} -gt 0 ]; then
		echo "setup: installing ${missing[*]}"
		export DEBIAN_FRONTEND=noninteractive
		apt-get update -qq
		apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
	fi
}

vs_hugepages() {
	local have
	have=$(cat /proc/sys/vm/nr_hugepages)
	if [ "$have" -lt "$VS_HUGEPAGES" ]; then
		sysctl -q -w vm.nr_hugepages="$VS_HUGEPAGES"
	fi
	if ! grep -qs ' /dev/hugepages hugetlbfs ' /proc/mounts; then
		mkdir -p /dev/hugepages
		mount -t hugetlbfs nodev /dev/hugepages
	fi
	# Files of DPDK processes that died without cleaning up hold pages.
	local f
	for f in /dev/hugepages/*map_*; do
		[ -e "$f" ] || continue
		fuser -s "$f" >/dev/null 2>&1 || rm -f "$f"
	done
	echo "setup: $(grep HugePages_Free /proc/meminfo | awk '{print $2}') of $(cat /proc/sys/vm/nr_hugepages) hugepages free"
}

vs_build() {
	if [ ! -f "$BUILD/build.ninja" ]; then
		meson setup "$BUILD" "$VS_ROOT" >/dev/null
	fi
	ninja -C "$BUILD" >/dev/null
	echo "setup: built $BUILD/vhostswitch"
}

vs_setup() {
	vs_install
	vs_hugepages
	vs_build
}
