#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The main job: set up, build, and run a TLS 1.3 file transfer with key
# updates over kernel TLS, printing what happened. Where this machine's
# kernel has no kTLS, it boots Debian's 6.12 kernel under qemu with our
# patched tls module (kmod-patches) and runs the transfer there.
# Options go to 'ktls-ctl demo' (--size, --update-every, --suite).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
[ -f build-rel/build.ninja ] || meson setup build-rel --buildtype=release >/dev/null
ninja -C build-rel >/dev/null
args=("$@")
[ ${#args[@]} -gt 0 ] || args=(--size $((64 << 20)) --update-every $((4 << 20)))
if ./build-rel/tools/ktls-ctl status >/dev/null 2>&1; then
	./build-rel/tools/ktls-ctl status
	exec ./build-rel/tools/ktls-ctl demo "${args[@]}"
fi
echo "This machine's kernel has no kTLS:"
./build-rel/tools/ktls-ctl status || true
echo
echo "Booting Debian's 6.12 kernel in qemu with the patched tls module (first run downloads and builds)..."
exec tests/vm/with-kmod.sh run.sh --bin build-rel/tools/ktls-ctl -- sh -c "
	echo '--- ktls-ctl status (inside the VM)'; ktls-ctl status; echo
	echo '--- ktls-ctl demo ${args[*]}'; ktls-ctl demo ${args[*]}; rc=\$?; echo
	echo '--- /proc/net/tls_stat'; cat /proc/net/tls_stat; exit \$rc"
