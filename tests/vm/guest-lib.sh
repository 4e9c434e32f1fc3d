# SPDX-License-Identifier: BSD-3-Clause
# busybox ash (like dash) has `local`; the CMOS byte is an octal escape.
# shellcheck shell=dash disable=SC2059
#
# The vm suite's guest: what /init does, and the functions a job uses.
#
# Kernel command line (all optional):
#   vs.ip=ADDR/LEN      the NIC's IPv4 address (first NIC other than lo)
#   vs.job=BASE64       the job: a shell script, base64-encoded; without it
#                       /vs/job.sh runs if the initramfs has one
#   vs.timeout=SECONDS  power off after SECONDS whatever the job does
#                       (default 400)
#   vs.end=poweroff|reboot|wait   after the job (default poweroff)
#
# Everything the test reads is a marker line on the serial console:
#   VSM EVENT key=value ... t=UPTIME
# EVENTs: boot (n = the boot count, kept in CMOS across reboots), modules,
# net, peer, ping, file, sent, recv, signal, await, hold, released, error,
# timeout, job-done (rc), poweroff, reboot. A job may print its own with vs_mark.

vs_mark() {
	echo "VSM $* t=$(cut -d' ' -f1 /proc/uptime)"
}

# CMOS byte 0x7e (unused by QEMU's PC and SeaBIOS) through /dev/port: it
# survives a reset, so the guest knows which boot this is.
VS_CMOS_BOOT=126

vs_cmos_get() {
	printf "\\$(printf %o "$1")" | dd of=/dev/port bs=1 seek=112 count=1 conv=notrunc 2>/dev/null
	dd if=/dev/port bs=1 skip=113 count=1 2>/dev/null | od -An -tu1 | tr -d ' \n'
}

vs_cmos_set() {
	printf "\\$(printf %o "$1")" | dd of=/dev/port bs=1 seek=112 count=1 conv=notrunc 2>/dev/null
	printf "\\$(printf %o "$2")" | dd of=/dev/port bs=1 seek=113 count=1 conv=notrunc 2>/dev/null
}

vs_sha256() {
	sha256sum "$1" | cut -d' ' -f1
}

vs_size() {
	wc -c <"$1" | tr -d ' '
}

# vs_wait_peer IP [TIMEOUT]: until IP answers a ping (the peer may still be
# booting). Returns 1 after TIMEOUT seconds (default 120).
vs_wait_peer() {
	local ip=$1 timeout=${2:-120} start now
	start=$(date +%s)
	while ! ping -c 1 -W 1 "$ip" >/dev/null 2>&1; do
		now=$(date +%s)
		if [ $((now - start)) -ge "$timeout" ]; then
			vs_mark peer ip="$ip" ok=0 waited=$((now - start))
			return 1
		fi
	done
	vs_mark peer ip="$ip" ok=1 waited=$(($(date +%s) - start))
}

# vs_ping IP COUNT [INTERVAL [SIZE]]: COUNT pings, INTERVAL (default 0.2)
# seconds apart, SIZE bytes of ICMP payload (default 56; 1472 fills a
# 1500-byte MTU). Returns 1 unless every one was answered. busybox ping
# waits only two round trips (at least 1 s) for the reply to its last
# ping, which a loaded machine can miss: so ping goes on for 2 s more, and
# the marker counts the replies to the first COUNT (sent=COUNT).
vs_ping() {
	local ip=$1 count=$2 interval=${3:-0.2} size=${4:-56} out extra recv
	extra=$(awk -v i="$interval" 'BEGIN { n = int(2 / i + 0.999); print n < 2 ? 2 : n }')
	out=$(ping -c $((count + extra)) -i "$interval" -s "$size" -W 5 "$ip" 2>&1)
	recv=$(echo "$out" | sed -n 's/.* seq=\([0-9]*\) .*/\1/p' |
		awk -v n="$count" '$1 < n' | sort -un | wc -l)
	vs_mark ping ip="$ip" size="$size" sent="$count" received="$recv"
	[ "$recv" = "$count" ] && return 0
	echo "$out" | grep -v '^[0-9]* bytes from' | tail -4
	echo "$out" | sed -n 's/.* seq=\([0-9]*\) .*/\1/p' | tr '\n' ' '
	echo
	return 1
}

# vs_mkfile PATH KIB: KIB KiB of random bytes.
vs_mkfile() {
	dd if=/dev/urandom of="$1" bs=1024 count="$2" 2>/dev/null
	vs_mark file path="$1" bytes="$(vs_size "$1")" sha256="$(vs_sha256 "$1")"
}

# vs_send IP PORT PATH [TIMEOUT]: sends the file to a vs_recv on IP:PORT,
# retrying while nobody listens yet (default 120 s).
vs_send() {
	local ip=$1 port=$2 path=$3 timeout=${4:-120} start rc
	start=$(date +%s)
	while :; do
		nc -w 5 "$ip" "$port" <"$path" 2>/dev/null
		rc=$?
		[ $rc -eq 0 ] && break
		if [ $(($(date +%s) - start)) -ge "$timeout" ]; then
			break
		fi
		sleep 1
	done
	vs_mark sent ip="$ip" port="$port" bytes="$(vs_size "$path")" \
		sha256="$(vs_sha256 "$path")" rc=$rc
	return $rc
}

# vs_recv PORT PATH: takes one connection on PORT and stores what it brings.
# (With -e, the connection's end of input ends cat; busybox nc would
# otherwise send its own EOF on stdin and make the sender stop early.)
vs_recv() {
	local port=$1 path=$2
	nc -l -p "$port" -e sh -c "cat >$path"
	vs_mark recv port="$port" bytes="$(vs_size "$path")" sha256="$(vs_sha256 "$path")"
}

# vs_signal IP PORT / vs_await PORT: a barrier between two guests.
vs_signal() {
	local ip=$1 port=$2 timeout=${3:-120} start
	start=$(date +%s)
	until echo go | nc -w 5 "$ip" "$port" 2>/dev/null; do
		if [ $(($(date +%s) - start)) -ge "$timeout" ]; then
			vs_mark signal ip="$ip" port="$port" ok=0
			return 1
		fi
		sleep 1
	done
	vs_mark signal ip="$ip" port="$port" ok=1
}

vs_await() {
	nc -l -p "$1" -e sh -c 'cat >/dev/null'
	vs_mark await port="$1"
}

# vs_hold NAME: waits until the test writes the line NAME on the serial
# console (Qemu.release), so that it can look at the switch meanwhile.
vs_hold() {
	local line
	vs_mark hold name="$1"
	while read -r line </dev/ttyS0; do
		[ "$line" = "$1" ] && break
	done
	vs_mark released name="$1"
}

vs_netdev() {
	local d
	for d in /sys/class/net/*; do
		[ "${d##*/}" = lo ] && continue
		echo "${d##*/}"
		return 0
	done
	return 1
}

vs_poweroff() {
	vs_mark poweroff
	sync
	poweroff -f
}

vs_reboot() {
	vs_mark reboot
	sync
	reboot -f
}

vs_init() {
	local w m n dev i queues
	VS_IP="" VS_JOB="" VS_TIMEOUT=400 VS_END=poweroff
	for w in $(cat /proc/cmdline); do
		case $w in
		vs.ip=*) VS_IP=${w#vs.ip=} ;;
		vs.job=*) VS_JOB=${w#vs.job=} ;;
		vs.timeout=*) VS_TIMEOUT=${w#vs.timeout=} ;;
		vs.end=*) VS_END=${w#vs.end=} ;;
		esac
	done
	n=$(vs_cmos_get $VS_CMOS_BOOT)
	n=$((${n:-0} + 1))
	vs_cmos_set $VS_CMOS_BOOT $n
	export VS_BOOT=$n
	vs_mark boot n=$n kernel="$(uname -r)" cpus="$(nproc)"
	# A job that hangs must not keep the machine: the test would wait.
	(sleep "$VS_TIMEOUT"; vs_mark timeout after="$VS_TIMEOUT"; poweroff -f) &

	for m in $(cat /lib/modules/order); do
		insmod "/lib/modules/$m.ko" || vs_mark error insmod="$m"
	done
	vs_mark modules
	i=0
	while ! dev=$(vs_netdev); do
		i=$((i + 1))
		if [ $i -gt 100 ]; then
			vs_mark error nonic=1
			dmesg | tail -20
			break
		fi
		sleep 0.1
	done
	ip link set lo up
	if [ -n "$dev" ]; then
		ip link set "$dev" up
		[ -n "$VS_IP" ] && ip addr add "$VS_IP" dev "$dev"
		# Carrier follows the device's link status (VIRTIO_NET_F_STATUS).
		i=0
		while [ "$(cat /sys/class/net/$dev/carrier 2>/dev/null)" != 1 ] && [ $i -lt 50 ]; do
			i=$((i + 1))
			sleep 0.1
		done
		queues=$(ls -d /sys/class/net/$dev/queues/tx-* | wc -l)
		vs_mark net dev="$dev" mac="$(cat /sys/class/net/$dev/address)" \
			ip="$VS_IP" carrier="$(cat /sys/class/net/$dev/carrier 2>/dev/null)" \
			operstate="$(cat /sys/class/net/$dev/operstate)" \
			txqueues="$queues" \
			features="$(cat /sys/class/net/$dev/device/features 2>/dev/null)"
	fi
	export VS_DEV=$dev

	if [ -n "$VS_JOB" ]; then
		echo "$VS_JOB" | base64 -d >/vs/job.sh
	fi
	if [ -f /vs/job.sh ]; then
		(. /vs/job.sh)
		vs_mark job-done rc=$?
	else
		vs_mark job-done rc=none
	fi
	case $VS_END in
	reboot) vs_reboot ;;
	wait) while :; do sleep 3600; done ;;
	*) vs_poweroff ;;
	esac
}
