#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Checks the harness itself: an inner failure comes back as a failure with
# its message, a machine without qemu gets SKIP with the reason (and, with
# CI set, a failure naming it), a boot that fails is retried, and a timeout
# is a timeout.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
fail=0
out=$("$here/run.sh" -- sh -c 'echo inner-message-42; exit 5' 2>&1)
rc=$?
[ "$rc" = 77 ] && { echo "$out"; exit 77; }
if [ "$rc" != 5 ] || ! grep -q inner-message-42 <<<"$out"; then
	echo "FAIL: inner exit 5 came back as $rc; output: $out"
	fail=1
fi
# A machine without qemu, through run.sh's KTLS_QEMU seam: a skip with the
# reason, and under CI a loud failure instead.
out=$(env -u CI KTLS_QEMU=/nonexistent/qemu-system-x86_64 "$here/run.sh" -- true 2>&1)
rc=$?
if [ "$rc" != 77 ] || ! grep -q "SKIP: qemu-system-x86_64 is not installed" <<<"$out"; then
	echo "FAIL: without qemu: status $rc, output: $out"
	fail=1
fi
out=$(CI=true KTLS_QEMU=/nonexistent/qemu-system-x86_64 "$here/run.sh" -- true 2>&1)
rc=$?
if [ "$rc" != 1 ] || ! grep -q "FAIL: cannot run: qemu-system-x86_64 is not installed" <<<"$out"; then
	echo "FAIL: without qemu under CI: status $rc (want 1), output: $out"
	fail=1
fi
# A kernel that never reaches /init: three boots, then a failure that says so.
out=$(KTLS_QEMU=/bin/false "$here/run.sh" -- true 2>&1)
rc=$?
if [ "$rc" != 1 ] || [ "$(grep -c 'did not reach /init' <<<"$out")" != 3 ]; then
	echo "FAIL: a VM that never boots: status $rc, output: $out"
	fail=1
fi
# A command that runs past the timeout, printing nothing: 124, said plainly
# (the status was once lost when nothing was printed).
out=$("$here/run.sh" --timeout 15 -- sleep 60 2>&1)
rc=$?
if [ "$rc" != 124 ] || ! grep -q "timed out after 15s" <<<"$out"; then
	echo "FAIL: a silent command past its timeout: status $rc, output: $out"
	fail=1
fi
# --pass: the host's variable where it is set (a soak's seed), nothing where not.
out=$(KTLS_HARNESS_X=pass-42 "$here/run.sh" --pass KTLS_HARNESS_X --pass KTLS_HARNESS_UNSET -- \
	sh -c 'echo "x=$KTLS_HARNESS_X u=${KTLS_HARNESS_UNSET-unset}"' 2>&1)
rc=$?
if [ "$rc" != 0 ] || ! grep -q "x=pass-42 u=unset" <<<"$out"; then
	echo "FAIL: --pass: status $rc, output: $out"
	fail=1
fi
[ "$fail" = 0 ] && echo "harness: inner failures surface, missing qemu skips (fails under CI), failed boots retried, timeouts reported, --pass passes"
exit $fail
