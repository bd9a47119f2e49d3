#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# DKMS PRE_BUILD step: unpack net/tls for kernel $1 from Debian's
# linux-source package and apply this tree's patch series for its series.
set -eu
series=$(echo "$1" | cut -d. -f1-2)
src=/usr/src/linux-source-$series.tar.xz
[ -d "$series" ] || { echo "ktls-tls: no patches for Linux $series" >&2; exit 1; }
[ -f "$src" ] || { echo "ktls-tls: install linux-source-$series" >&2; exit 1; }
rm -rf net include
tar -xJf "$src" --strip-components=1 --wildcards '*/net/tls' '*/include/net/tls.h' \
	'*/include/uapi/linux/tls.h'
while read -r p; do
	[ -n "$p" ] && patch -s -p1 <"$series/$p"
done <"$series/series"
cp Kbuild net/tls/Kbuild
rm -f net/tls/Makefile
