#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Downloads (once) the pinned Debian kernel packages and extracts what the VM
# needs: vmlinuz, the modules, and (with --source) net/tls and the kernel's
# kTLS selftest from linux-source. Prints nothing on a warm cache.
# Exit 77 (skip) if the archive cannot be reached.
set -euo pipefail
. "$(dirname "$0")/env.sh"
want_source=0
[ "${1:-}" = --source ] && want_source=1

mkdir -p "$DEBS" "$KROOT"
cache_lock "fetch-$KREL"
fetch() { # package name -> .deb path in the cache
	suite_fetch "$KTLS_KSUITE" "$DEBS" "$1" "$KTLS_KPKGVER"
}
# sid splits the image into the kernel binary, its modules and the
# modules' index files (modules.builtin: what needs no insmod).
image_pkgs="linux-image-$KREL-unsigned"
case $KTLS_KSUITE in sid) image_pkgs="linux-binary-$KREL linux-modules-$KREL linux-base-$KREL" ;; esac

# Image: vmlinuz plus every module, decompressed so busybox insmod can load them.
if [ ! -f "$KROOT/image.done" ]; then
	rm -rf "$KROOT/image" && mkdir -p "$KROOT/image"
	for p in $image_pkgs; do
		dpkg-deb -x "$(fetch "$p")" "$KROOT/image"
	done
	# Newer Debian kernels live under /usr/lib/modules (usrmerge).
	[ -d "$KROOT/image/lib/modules" ] || { mkdir -p "$KROOT/image/lib" &&
		ln -s ../usr/lib/modules "$KROOT/image/lib/modules"; }
	find "$KROOT/image/lib/modules/" -name '*.ko.xz' -exec xz -d {} +
	find "$KROOT/image/lib/modules/" -name '*.ko.zst' -exec zstd -q -d --rm {} +
	# ... and keep the kernel there, not in /boot.
	[ -f "$KROOT/image/boot/vmlinuz-$KREL" ] || { mkdir -p "$KROOT/image/boot" &&
		ln -s "../lib/modules/$KREL/vmlinuz" "$KROOT/image/boot/vmlinuz-$KREL"; }
	depmod -b "$KROOT/image" "$KREL"
	touch "$KROOT/image.done"
fi

# Headers and kbuild: for building tls.ko out of tree (kmod-patches).
if [ "$want_source" = 1 ] && [ ! -f "$KROOT/headers.done" ]; then
	for p in "linux-headers-$KREL" "linux-headers-$KTLS_KVER-common" "$KTLS_KBUILD"; do
		dpkg-deb -x "$(fetch "$p")" "$KROOT/headers"
	done
	touch "$KROOT/headers.done"
fi

# Source: only net/tls, the headers it includes, and the selftest.
if [ "$want_source" = 1 ] && [ ! -f "$KROOT/source.done" ]; then
	deb=$(fetch "linux-source-$KTLS_KSERIES")
	tmp=$(mktemp -d)
	dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$tmp" --wildcards './usr/src/linux-source-*.tar.xz'
	rm -rf "$KROOT/source" && mkdir -p "$KROOT/source"
	tar -xJf "$tmp"/usr/src/linux-source-*.tar.xz -C "$KROOT/source" --strip-components=1 \
		--wildcards '*/net/tls' '*/include/net/tls*.h' '*/include/uapi/linux/tls.h' \
		'*/include/net/strparser.h' '*/include/uapi/linux/snmp.h' '*/include/net/snmp.h' \
		'*/tools/testing/selftests/net/tls.c' '*/tools/testing/selftests/kselftest_harness.h' \
		'*/tools/testing/selftests/kselftest.h' '*/scripts/checkpatch.pl' \
		'*/scripts/spelling.txt' '*/scripts/const_structs.checkpatch'
	rm -rf "$tmp"
	touch "$KROOT/source.done"
fi
