#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Builds the test guest of the vm suite: Debian 12's kernel and a busybox
# initramfs whose /init (guest-init.sh) loads the virtio-net modules, sets
# the NIC's address from the kernel command line and runs a job.
#
#   build-guest.sh CACHE_DIR
#
# The image goes to CACHE_DIR/guest-KEY/ (vmlinuz, vmlinux, initrd.img,
# kernel.txt), KEY being a hash of this script and of the scripts it puts
# in the image, so a changed builder or init builds afresh and an unchanged
# one is used as it is. The last line on stdout is that directory. Older guest-*
# directories are removed.
#
# The kernel comes from the .deb named by $VS_GUEST_KERNEL_DEB, or else from
# `apt-get download` of the package linux-image-amd64 depends on (Debian's
# archive must be reachable then). busybox comes from busybox-static
# (/bin/busybox). Exit status 77 when either is missing, so that the tests
# that need the guest are skipped, not failed.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CACHE=${1:?usage: build-guest.sh CACHE_DIR}
BUSYBOX=${VS_GUEST_BUSYBOX:-/bin/busybox}
# Loaded by /init in this order (each needs the ones before it).
MODULES="virtio_ring virtio virtio_pci_legacy_dev virtio_pci_modern_dev virtio_pci failover net_failover virtio_net"
SOURCES=("${BASH_SOURCE[0]}" "$HERE/guest-init.sh" "$HERE/guest-lib.sh")

say() { echo "build-guest: $*" >&2; }
skip() { say "$*"; exit 77; }

KEY=$(cat "${SOURCES[@]}" | sha256sum | cut -c1-16)
OUT=$CACHE/guest-$KEY
if [ -f "$OUT/done" ]; then
	echo "$OUT"
	exit 0
fi

mkdir -p "$CACHE"
exec 9>"$CACHE/.lock"
flock 9
# Another run may have built it while we waited for the lock.
if [ -f "$OUT/done" ]; then
	echo "$OUT"
	exit 0
fi

"$BUSYBOX" --list 2>/dev/null | grep -x nc >/dev/null ||
	skip "no busybox with nc at $BUSYBOX (apt-get install busybox-static)"
case $(LC_ALL=C ldd "$BUSYBOX" 2>&1 || true) in
*"not a dynamic"* | *"statically linked"*) ;;
*) skip "$BUSYBOX is not static (apt-get install busybox-static)" ;;
esac
for tool in cpio gzip dpkg-deb; do
	command -v $tool >/dev/null || skip "$tool is missing"
done

WORK=$(mktemp -d "$CACHE/.work.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

DEB=${VS_GUEST_KERNEL_DEB:-}
if [ -z "$DEB" ]; then
	PKG=$(apt-cache depends linux-image-amd64 2>/dev/null |
		awk '$1 == "Depends:" && $2 ~ /^linux-image-[0-9].*-amd64$/ { print $2; exit }')
	[ -n "$PKG" ] || skip "apt-cache knows no linux-image-amd64 (apt-get update?)"
	say "downloading $PKG"
	# Downloads as root into a directory _apt cannot write: no sandbox.
	(cd "$WORK" && apt-get download -q -o APT::Sandbox::User=root "$PKG" >&2) ||
		skip "apt-get download $PKG failed"
	DEB=$(ls "$WORK"/linux-image-*.deb)
fi
[ -f "$DEB" ] || skip "no kernel package $DEB"

say "unpacking $(basename "$DEB")"
mkdir "$WORK/deb"
# Only the kernel and the modules we load: the whole package is ~400 MB.
pattern=("./boot/vmlinuz-*")
for m in $MODULES; do
	pattern+=("./lib/modules/*/$m.ko*")
done
dpkg-deb --fsys-tarfile "$DEB" | tar -x -C "$WORK/deb" --wildcards "${pattern[@]}"
VMLINUZ=$(ls "$WORK"/deb/boot/vmlinuz-* | head -1)
KVER=${VMLINUZ##*/vmlinuz-}

ROOT=$WORK/root
mkdir -p "$ROOT"/{bin,dev,proc,sys,tmp,run,lib/modules,vs}
for m in $MODULES; do
	f=$(find "$WORK/deb/lib/modules" -name "$m.ko" -o -name "$m.ko.xz" -o -name "$m.ko.zst" -o -name "$m.ko.gz" | head -1)
	[ -n "$f" ] || { say "module $m not in $(basename "$DEB")"; exit 1; }
	case $f in
	*.xz) xz -dc "$f" ;;
	*.zst) zstd -qdc "$f" ;;
	*.gz) gzip -dc "$f" ;;
	*) cat "$f" ;;
	esac >"$ROOT/lib/modules/$m.ko"
done
echo "$MODULES" >"$ROOT/lib/modules/order"
cp "$BUSYBOX" "$ROOT/bin/busybox"
ln -s busybox "$ROOT/bin/sh"
install -m 0755 "$HERE/guest-init.sh" "$ROOT/init"
install -m 0644 "$HERE/guest-lib.sh" "$ROOT/vs/lib.sh"
echo "$KVER" >"$ROOT/vs/kernel"

rm -rf "$OUT" "$OUT.tmp"
mkdir -p "$OUT.tmp"
cp "$VMLINUZ" "$OUT.tmp/vmlinuz"
# The ELF inside the bzImage: QEMU boots it through PVH without the
# decompressor, which costs TCG several seconds a boot. Best effort.
python3 - "$VMLINUZ" "$OUT.tmp/vmlinux" <<'PY' || say "no vmlinux: the tests boot the bzImage"
import bz2, gzip, lzma, sys
data = open(sys.argv[1], "rb").read()
for magic, unpack in ((b"\xfd7zXZ\x00", lambda d: lzma.LZMADecompressor(lzma.FORMAT_XZ).decompress(d)),
                      (b"\x1f\x8b\x08", lambda d: gzip.GzipFile(fileobj=__import__("io").BytesIO(d)).read()),
                      (b"BZh", lambda d: bz2.BZ2Decompressor().decompress(d))):
    i = data.find(magic)
    while i >= 0:
        try:
            elf = unpack(data[i:])
        except Exception:
            elf = b""
        if elf[:4] == b"\x7fELF":
            open(sys.argv[2], "wb").write(elf)
            sys.exit(0)
        i = data.find(magic, i + 1)
sys.exit(1)
PY
(cd "$ROOT" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) | gzip -9n >"$OUT.tmp/initrd.img"
echo "kernel $KVER from $(basename "$DEB"), busybox $("$BUSYBOX" 2>&1 | head -1 | awk '{print $2}')" >"$OUT.tmp/kernel.txt"
touch "$OUT.tmp/done"
mv "$OUT.tmp" "$OUT"
for old in "$CACHE"/guest-*; do
	[ "$old" = "$OUT" ] || rm -rf "$old"
done
say "built $OUT ($(du -sh "$OUT" | cut -f1); $(cat "$OUT/kernel.txt"))"
echo "$OUT"
