#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Runs bench_ktls in the VM with the patched tls module (a benchmark, not a
# test): run-vm-bench.sh [size-bytes] [rounds]. Builds a release tree.
set -euo pipefail
cd "$(dirname "$0")/../.."
[ -f build-rel/build.ninja ] || meson setup build-rel --buildtype=release >/dev/null
ninja -C build-rel >/dev/null
exec tests/vm/with-kmod.sh run.sh --bin build-rel/tests/bench/bench_ktls \
	--file build-rel/tests/certs=certs -- \
	bench_ktls /work/certs/server-ecdsa256.pem /work/certs/server-ecdsa256.key /work/certs/ca.pem "$@"
