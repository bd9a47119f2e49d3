#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Runs `ktls-ctl bench` in the VM with the patched tls module (a benchmark,
# not a test), from a release build: run-vm-bench.sh [ktls-ctl bench options],
# e.g. --size 1G --key-update-bytes 1M (issue #5's measurement).
set -euo pipefail
cd "$(dirname "$0")/../.."
[ -f build-rel/build.ninja ] || meson setup build-rel --buildtype=release >/dev/null
ninja -C build-rel >/dev/null
# The file lives in memory (memfd): room for 1 GiB and the rest.
export KTLS_VM_MEM=${KTLS_VM_MEM:-3G} KTLS_VM_TIMEOUT=${KTLS_VM_TIMEOUT:-3600}
exec tests/vm/with-kmod.sh run.sh --bin build-rel/tools/ktls-ctl -- ktls-ctl bench "$@"
