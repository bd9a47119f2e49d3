#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The main job: set up, build, and run a file transfer with key updates,
# printing what happened.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
[ -f build/build.ninja ] || meson setup build --buildtype=release >/dev/null
ninja -C build >/dev/null
./build/tools/ktls-ctl status || true
echo
exec ./build/tools/ktls-ctl demo "$@"
