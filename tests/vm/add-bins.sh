#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# add-bins.sh [--into DIR] ROOT BIN...: copies executables into ROOT (at
# their own paths, or into ROOT/DIR with --into) with every shared library
# ldd finds for them, loader included, at the libraries' own paths. With
# --into, a library from outside the system's directories (our libktls.so
# in the build tree) also goes to DIR/../lib, where the binary's RUNPATH
# ($ORIGIN/../lib, as meson sets it for the build tree) finds it.
set -euo pipefail
into=""
if [ "$1" = --into ]; then
	into=$2
	shift 2
fi
root=$1
shift
for bin in "$@"; do
	if [ -n "$into" ]; then
		mkdir -p "$root/$into"
		cp -L "$bin" "$root/$into/"
	else
		mkdir -p "$root$(dirname "$bin")"
		cp -L "$bin" "$root$bin"
	fi
	{ ldd "$bin" 2>/dev/null || true; } | awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^\//) print $i }' |
		while read -r lib; do
			case $lib in
			/lib/* | /lib64/* | /usr/lib/* | /usr/lib64/*) ;;
			*) [ -n "$into" ] && mkdir -p "$root/$into/../lib" && cp -L "$lib" "$root/$into/../lib/" ;;
			esac
			[ -f "$root$lib" ] && continue
			mkdir -p "$root$(dirname "$lib")"
			cp -L "$lib" "$root$lib"
		done
done
