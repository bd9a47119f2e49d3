#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Boots the pinned Debian kernel under qemu (TCG) and runs one command in it.
#
#   run.sh [--bin FILE]... [--file SRC=DST]... [--tls-ko FILE] [--timeout S]
#          [--env NAME=VALUE]... [--pass NAME]... [--userland SUITE] [--shell]
#          -- COMMAND [ARG]...
#
# --bin copies an executable (and its libraries) to /work/bin; --file copies
# any file to /work/DST; --tls-ko boots with that tls.ko instead of stock;
# --pass gives the VM the host's NAME where it is set (a seed to reproduce);
# --userland puts a newer suite's peers (userland.sh) at /work/SUITE;
# --shell leaves a shell on the console after the command (debugging).
# The command's output comes back on the serial console; run.sh exits with
# the command's status, 77 (skip) if the VM cannot run here, 124 on timeout.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/env.sh"

bins=() files=() envs=() tls_ko="" timeout=${KTLS_VM_TIMEOUT:-600} shell=0
while (($#)); do
	case $1 in
	--bin) bins+=("$(realpath "$2")"); shift 2 ;;
	--file) files+=("$2"); shift 2 ;;
	--env) envs+=("$2"); shift 2 ;;
	--pass) [ -n "${!2-}" ] && envs+=("$2=${!2}"); shift 2 ;;
	--tls-ko) tls_ko=$(realpath "$2"); shift 2 ;;
	--userland) files+=("$("$here/userland.sh" "$2" | tail -1)=$2") || exit $?; shift 2 ;;
	--timeout) timeout=$2; shift 2 ;;
	--shell) shell=1; shift ;;
	--) shift; break ;;
	*) echo "run.sh: unknown option $1" >&2; exit 2 ;;
	esac
done
(($#)) || { echo "run.sh: no command" >&2; exit 2; }

qemu=${KTLS_QEMU:-qemu-system-x86_64}
command -v "$qemu" >/dev/null || vm_skip "qemu-system-x86_64 is not installed ($qemu)"
base=$("$here/mkinitrd.sh" | tail -1) || exit $?
[ -f "$base" ] || vm_skip "no base initramfs"
kernel="$KROOT/image/boot/vmlinuz-$KREL"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
ov="$work/root"
mkdir -p "$ov/work/bin"
# Binaries go to /work/bin, not their host path: that may be under /tmp,
# which the VM mounts a tmpfs over.
for b in "${bins[@]}"; do
	"$here/add-bins.sh" --into work/bin "$ov" "$b"
done
for f in "${files[@]}"; do
	src=${f%%=*} dst=${f#*=}
	mkdir -p "$(dirname "$ov/work/$dst")"
	cp -rL "$src" "$ov/work/$dst"
done
[ -n "$tls_ko" ] && cp "$tls_ko" "$ov/work/tls.ko"
[ "$shell" = 1 ] && touch "$ov/work/shell"
{
	echo "export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1"
	for e in "${envs[@]}"; do printf 'export %q\n' "$e"; done
	printf '%q ' "$@"
	echo
} >"$ov/work/run.sh"
(cd "$ov" && find . | cpio -o -H newc --quiet | gzip -1) >"$work/overlay.cpio.gz"
cat "$base" "$work/overlay.cpio.gz" >"$work/initrd.gz"

console="$work/console.log"
qemu_args=(-accel tcg,thread=multi -cpu max -smp 2 -m "${KTLS_VM_MEM:-1G}"
	-nodefaults -no-user-config -display none -no-reboot
	-kernel "$kernel" -initrd "$work/initrd.gz"
	-append "console=ttyS0 quiet panic=-1 oops=panic")
if [ "$shell" = 1 ]; then
	exec "$qemu" "${qemu_args[@]}" -serial stdio
fi
# A boot can die before /init under multi-threaded TCG (seen: an int3 oops
# while the kernel patches its own text, before any module loads). Such a
# boot ran none of our code: boot again, up to three times. A failure after
# /init is never retried.
for attempt in 1 2 3; do
	# qemu's status, read straight after the pipeline (an "|| true" would
	# replace PIPESTATUS whenever grep has nothing to print).
	set +e
	timeout "$timeout" "$qemu" "${qemu_args[@]}" -serial stdio </dev/null |
		tr -d '\r' | tee "$console" | grep -v '^KTLS-VM-'
	status=${PIPESTATUS[0]}
	set -e
	if [ "$status" = 124 ]; then
		echo "vm: timed out after ${timeout}s" >&2
		exit 124
	fi
	grep -q '^KTLS-VM-BOOTED' "$console" && break
	echo "vm: the kernel did not reach /init (attempt $attempt, qemu status $status)" >&2
	[ "$attempt" = 3 ] && exit 1
done
grep '^KTLS-VM-WARN' "$console" >&2 || true
rc=$(sed -n 's/^KTLS-VM-EXIT \([0-9]*\)$/\1/p' "$console" | tail -1)
if [ -z "$rc" ]; then
	echo "vm: the command did not finish (kernel crash?)" >&2
	exit 1
fi
exit "$rc"
