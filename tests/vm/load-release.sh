#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The load test on a release build (memory figures under the sanitizers
# mean nothing): builds one beside the suite's build, then runs load-vm.sh
# in the VM with the patched module, N connections at once, and serve's RSS
# per idle open kTLS connection held to MAX_KB.
#   load-release.sh SRCDIR BUILDDIR CERTDIR N MAX_KB
set -euo pipefail
src=$1 rel=$2/release-for-vm certs=$3 n=$4 max=$5
[ -f "$rel/build.ninja" ] || meson setup "$rel" "$src" --buildtype=release >/dev/null
ninja -C "$rel" tools/ktls-ctl tests/vm/vm_load >/dev/null
# Room for N connections' socket buffers while all download at once.
export KTLS_VM_MEM=${KTLS_VM_MEM:-3G} KTLS_VM_TIMEOUT=${KTLS_VM_TIMEOUT:-1500}
exec "$src/tests/vm/with-kmod.sh" run.sh --bin "$rel/tools/ktls-ctl" \
	--bin "$rel/tests/vm/vm_load" --env KTLS_LOAD_N="$n" --env KTLS_LOAD_MAX_RSS_KB="$max" \
	--file "$certs=certs" --file "$src/tests/vm/load-vm.sh=load-vm.sh" -- sh /work/load-vm.sh
