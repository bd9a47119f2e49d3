#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The main job: set up, build, and serve a file over kernel TLS with key
# updates (scripts/main-job.sh: ktls-ctl serve, get, list, status). Where
# this machine's kernel has no kTLS, it boots Debian's 6.12 kernel under
# qemu with our patched tls module (kmod-patches) and runs there.
#   demo.sh [SIZE_MIB] [UPDATE_EVERY]          (defaults 64 and 4M)
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
echo "Booting Debian's 6.12 kernel in qemu with the patched tls module (first run downloads and builds)..."
exec tests/vm/with-kmod.sh run.sh --bin build-rel/tools/ktls-ctl \
	--file scripts/main-job.sh=main-job.sh -- sh /work/main-job.sh "$@"
