#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The main job: set up, build, and serve a file over kernel TLS with key
# updates (scripts/main-job.sh: ktls-ctl serve, get, list, status). Where
# this machine's kernel has no kTLS, it boots Debian's 6.12 kernel under
# qemu with our patched tls module (kmod-patches) and runs there.
#   demo.sh [SIZE_MIB] [UPDATE_EVERY]          (defaults 64 and 4M)
# KTLS_KERNEL picks another kernel of the matrix (tests/vm/env.sh):
# deb12-6.12 (default), deb12-6.1, deb13-6.12 with the patched module;
# sid-7.2, mainline, with its own tls module (it re-keys natively).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
[ -f build-rel/build.ninja ] || meson setup build-rel --buildtype=release >/dev/null
ninja -C build-rel >/dev/null
if ./build-rel/tools/ktls-ctl status >/dev/null 2>&1 &&
	./build-rel/tools/ktls-ctl status --json | grep -q '"rekey":true'; then
	PATH=$PWD/build-rel/tools:$PATH exec sh scripts/main-job.sh "$@"
fi
echo "This machine's kernel has no kTLS with re-key:"
./build-rel/tools/ktls-ctl status | head -3 || true
echo
kernel=${KTLS_KERNEL:-deb12-6.12}
vm=(tests/vm/with-kmod.sh run.sh)
what="with the patched tls module"
case $kernel in sid-*) vm=(tests/vm/run.sh) what="with its own tls module (mainline re-key)" ;; esac
echo "Booting the $kernel kernel in qemu $what (first run downloads and builds)..."
KTLS_KERNEL=$kernel exec "${vm[@]}" --bin build-rel/tools/ktls-ctl \
	--file scripts/main-job.sh=main-job.sh -- sh /work/main-job.sh "$@"
