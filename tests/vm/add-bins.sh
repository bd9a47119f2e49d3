#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# add-bins.sh ROOT BIN...: copies executables to ROOT at their own paths, with
# every shared library ldd finds for them (and the dynamic loader).
set -euo pipefail
root=$1
shift
for bin in "$@"; do
	mkdir -p "$root$(dirname "$bin")"
	cp -L "$bin" "$root$bin"
	{ ldd "$bin" 2>/dev/null || true; } | awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^\//) print $i }' |
		while read -r lib; do
			[ -f "$root$lib" ] && continue
			mkdir -p "$root$(dirname "$lib")"
			cp -L "$lib" "$root$lib"
		done
done
