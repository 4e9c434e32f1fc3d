#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Builds one libFuzzer target with clang and fuzzes it for a bounded time.
#
#   tests/fuzz/run.sh OUTDIR TARGET        (TARGET: fuzz_cmd or fuzz_config)
#
# The project builds with gcc, and libFuzzer needs clang, so the targets and
# the switch's sources they exercise are compiled here, under OUTDIR/clang,
# never in the gcc build's objects. The run works on a copy of the checked-in
# seed corpus (OUTDIR/TARGET.corpus), so the seeds stay as they are.
#
# Exits non-zero on any crash, leak, sanitizer report or timeout; the input
# that did it is in OUTDIR/TARGET.artifacts/. Inputs saved under
# tests/fuzz/crashes/CORPUS/ are run first, as a regression check.
#
# Environment:
#   VS_FUZZ_SECONDS  fuzzing time per target (default 60)
#   VS_FUZZ_CC       the compiler (default clang-14)
#   VS_FUZZ_ARGS     extra libFuzzer options, e.g. "-jobs=4 -workers=4"
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
out=${1:?usage: run.sh OUTDIR TARGET}
target=${2:?usage: run.sh OUTDIR TARGET}
secs=${VS_FUZZ_SECONDS:-60}
cc=${VS_FUZZ_CC:-clang-14}

case "$target" in
fuzz_cmd) corpus=cmd ;;
fuzz_config) corpus=config ;;
*) echo "run.sh: unknown target $target" >&2; exit 2 ;;
esac

# Meson reads 77 as "skipped": a host without clang still runs the rest.
if ! command -v "$cc" >/dev/null 2>&1; then
	echo "run.sh: $cc not found (apt-get install clang-14 libclang-rt-14-dev); skipping"
	exit 77
fi
if ! echo 'int LLVMFuzzerTestOneInput(const char *d, long n) { return 0; }' |
	"$cc" -x c -fsanitize=fuzzer -o /dev/null - >/dev/null 2>&1; then
	echo "run.sh: $cc has no libFuzzer runtime (apt-get install libclang-rt-14-dev); skipping"
	exit 77
fi

mkdir -p "$out"
out=$(cd "$out" && pwd)
build=$out/clang
mkdir -p "$build"

# The switch library as meson builds it, less the two programs' mains.
lib_srcs=()
for f in "$root"/pmd/*.c "$root"/vhost_user/*.c "$root"/dataplane/*.c \
	"$root"/control/*.c; do
	case "$f" in
	*/vs_main.c | */vs_ctl_client.c) ;;
	*) lib_srcs+=("$f") ;;
	esac
done

# shellcheck disable=SC2207
dpdk_cflags=($(pkg-config --cflags libdpdk))
# shellcheck disable=SC2207
dpdk_libs=($(pkg-config --libs libdpdk))
# The gcc build is the warning gate (-Werror); here clang's own warnings
# are shown but do not stop the fuzzing.
# shellcheck disable=SC2054 # the commas belong to -fsanitize=.
cflags=(-std=c11 -D_GNU_SOURCE -g -O1 -fno-omit-frame-pointer
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
	-Wall -Wextra
	-I"$root/pmd" -I"$root/vhost_user" -I"$root/dataplane" -I"$root/control"
	"${dpdk_cflags[@]}")

# Rebuild when any source or header is newer than the binary.
bin=$build/$target
if [ ! -x "$bin" ] || [ -n "$(find "$root"/pmd "$root"/vhost_user "$root"/dataplane \
	"$root"/control "$here" -name '*.[ch]' -newer "$bin" -print -quit)" ] ||
	[ "$here/run.sh" -nt "$bin" ]; then
	echo "run.sh: building $bin"
	"$cc" "${cflags[@]}" -o "$bin.tmp" "$here/$target.c" "${lib_srcs[@]}" \
		"${dpdk_libs[@]}" -lnuma -lpthread -lm
	mv "$bin.tmp" "$bin"
fi

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

# Known crashes stay failures until the code is fixed; fuzzing goes on
# anyway, so that a known bug does not hide new ones.
known=0
crashes=$here/crashes/$corpus
if [ -d "$crashes" ] && [ -n "$(ls -A "$crashes")" ]; then
	echo "run.sh: replaying $crashes"
	"$bin" "$crashes"/* || known=1
fi

work=$out/$target.corpus
artifacts=$out/$target.artifacts
rm -rf "$work" "$artifacts"
mkdir -p "$work" "$artifacts"
cp "$here/corpus/$corpus"/* "$work"/

# shellcheck disable=SC2086
if ! "$bin" -max_total_time="$secs" -max_len=2048 -timeout=10 \
	-rss_limit_mb=2048 -dict="$here/vs.dict" -print_final_stats=1 \
	-artifact_prefix="$artifacts/" ${VS_FUZZ_ARGS:-} "$work"; then
	echo "run.sh: $target failed; reproducer(s) in $artifacts:" >&2
	ls -l "$artifacts" >&2
	exit 1
fi
echo "run.sh: $target: no new crash in ${secs}s; corpus $(find "$work" -type f | wc -l) inputs"
if [ "$known" -ne 0 ]; then
	echo "run.sh: $target: an input under $crashes still fails" >&2
	exit 1
fi
