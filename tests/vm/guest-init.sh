#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# /init of the vm suite's guest (build-guest.sh puts it in the initramfs).
# Everything it does is in /vs/lib.sh; this only gets a shell environment.
export PATH=/bin
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs -o size=64m tmpfs /tmp
exec </dev/null >/dev/console 2>&1
. /vs/lib.sh
vs_init
