#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# A build chroot of a newer Debian suite (its own gcc), made once with
# debootstrap from Debian's archive and cached:
#   chroot.sh SUITE        prints the chroot's directory
# Debian 13's kernel headers were configured by trixie's gcc-14 with flags
# Debian 12's gcc-12 rejects, so its modules are built in here. debootstrap
# itself comes as a package (no install on the host).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/env.sh"
suite=${1:?usage: chroot.sh SUITE}
pkgs=gcc-14,make,libc6-dev,libelf-dev,libssl-dev,bc,flex,bison,kmod,xz-utils,dwarves,perl
stamp=$(echo "$suite $pkgs $(cat "$here/chroot.sh")" | sha256sum | cut -c1-12)
out="$KTLS_CACHE/chroot/$suite-$stamp"
cache_lock "chroot-$suite"
if [ ! -f "$out.done" ]; then
	[ "$(id -u)" = 0 ] || vm_skip "making a $suite chroot needs root"
	ds="$KTLS_CACHE/debootstrap"
	if [ ! -x "$ds/usr/sbin/debootstrap" ]; then
		mkdir -p "$ds"
		deb=$(cd "$ds" && apt-get download -q debootstrap >/dev/null 2>&1 && ls "$ds"/debootstrap_*.deb | head -1) ||
			vm_skip "cannot download debootstrap"
		dpkg-deb -x "$deb" "$ds"
	fi
	uri=$(apt-get indextargets --format '$(REPO_URI)' 2>/dev/null | grep -v -- -security | grep '/debian/$' | head -1)
	[ -n "$uri" ] || vm_skip "the host's apt configuration names no Debian archive"
	rm -rf "$out" && mkdir -p "$out"
	vm_log "debootstrap $suite (once, a few minutes)"
	DEBOOTSTRAP_DIR="$ds/usr/share/debootstrap" "$ds/usr/sbin/debootstrap" --variant=minbase \
		--include="$pkgs" --keyring=/usr/share/keyrings/debian-archive-keyring.gpg \
		"$suite" "$out" "$uri" >"$out.log" 2>&1 ||
		{ tail -20 "$out.log" >&2; vm_skip "debootstrap $suite failed"; }
	rm -rf "$out/var/cache/apt/archives/"*.deb
	touch "$out.done"
fi
echo "$out"
