#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Builds tls.ko with our patch series for the pinned Debian kernel:
#   build.sh [--check]   prints the path of the built module
# It fetches (cached) Debian's linux-source and linux-headers packages for
# the version in tests/vm/env.sh (KTLS_KVER/KTLS_KPKGVER override it),
# applies SERIES/series to net/tls, builds against the headers, and with
# --check runs the kernel's checkpatch.pl --strict on every patch.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../tests/vm/env.sh"
check=0
[ "${1:-}" = --check ] && check=1
"$here/../tests/vm/fetch.sh" --source >&2
series_dir="$here/$KTLS_KSERIES"
[ -f "$series_dir/series" ] || { echo "build.sh: no patch series for $KTLS_KSERIES" >&2; exit 1; }

cache_lock "kmod-$KREL"
stamp=$(cat "$series_dir"/series "$series_dir"/*.patch "$here/Kbuild" "$here/build.sh" | sha256sum | cut -c1-12)
out="$KTLS_CACHE/kmod/$KREL-$stamp"
ko="$out/net/tls/tls.ko"
if [ ! -f "$ko" ]; then
	rm -rf "$out" && mkdir -p "$out/net" "$out/include/net" "$out/include/uapi/linux"
	cp -r "$KROOT/source/net/tls" "$out/net/"
	cp "$KROOT/source/include/net/tls.h" "$out/include/net/"
	cp "$KROOT/source/include/uapi/linux/tls.h" "$out/include/uapi/linux/"
	while read -r p; do
		[ -z "$p" ] || [ "${p#\#}" != "$p" ] && continue
		patch -s -d "$out" -p1 --no-backup-if-mismatch <"$series_dir/$p" ||
			{ echo "build.sh: $p does not apply" >&2; exit 1; }
	done <"$series_dir/series"
	cp "$here/Kbuild" "$out/net/tls/Kbuild"
	rm -f "$out/net/tls/Makefile"

	if [ "$KTLS_KSUITE" = bookworm ]; then
		# Debian's headers Makefile includes its -common twin by absolute path.
		hdr="$KROOT/headers/usr/src/linux-headers-$KREL"
		sed -i "s|^include /usr/src/|include $KROOT/headers/usr/src/|" "$hdr/Makefile"
		command -v pahole >/dev/null || echo "build.sh: pahole missing (package dwarves): no BTF" >&2
		make -s -C "$hdr" M="$out/net/tls" modules >"$out/build.log" 2>&1 ||
			{ cat "$out/build.log" >&2; exit 1; }
	else
		# A newer suite's headers were configured by its own gcc (Debian
		# 13: gcc-14, whose flags gcc-12 rejects): build in a chroot of
		# that suite, the headers at their own paths there.
		root=$("$here/../tests/vm/chroot.sh" "$KTLS_KSUITE" | tail -1) || exit $?
		cp -a "$KROOT/headers/usr" "$root/"
		sed -i "s|^include $KROOT/headers/usr/src/|include /usr/src/|" \
			"$root/usr/src/linux-headers-$KREL/Makefile"
		b="/build/$KREL-$stamp"
		rm -rf "$root$b" && mkdir -p "$root/build" && cp -a "$out" "$root$b"
		chroot "$root" make -s -C "/usr/src/linux-headers-$KREL" M="$b/net/tls" modules \
			>"$out/build.log" 2>&1 || { cat "$out/build.log" >&2; exit 1; }
		cp "$root$b/net/tls/tls.ko" "$out/net/tls/"
		rm -rf "$root$b"
	fi
	if grep -qi "warning" "$out/build.log"; then
		cat "$out/build.log" >&2
		echo "build.sh: the build warned" >&2
		exit 1
	fi
fi
if [ "$check" = 1 ]; then
	while read -r p; do
		[ -z "$p" ] || [ "${p#\#}" != "$p" ] && continue
		perl "$KROOT/source/scripts/checkpatch.pl" --strict --no-tree \
			--terse --show-types "$series_dir/$p" >&2 ||
			{ echo "build.sh: checkpatch complains about $p" >&2; exit 1; }
	done <"$series_dir/series"
fi
echo "$ko"
