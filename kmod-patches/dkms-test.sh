#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Installs this tree with DKMS and builds the module for one pinned Debian
# kernel, as a user would: dkms-test.sh (KTLS_KVER etc. as for build.sh).
# It changes the system (installs dkms, the kernel's headers and
# linux-source packages, registers ktls-tls/2 and removes it again), so it
# is not part of the test suite; run it on a throwaway machine as root.
#
# For a kernel of a newer suite (KTLS_KERNEL=deb13-6.12) it runs the same
# inside that suite's build chroot (tests/vm/chroot.sh), where the kernel's
# own gcc is, and changes nothing on the host: that form is in the suite
# (vm-long).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../tests/vm/env.sh"
[ "${KTLS_DKMS_IN_CHROOT:-}" = 1 ] || "$here/../tests/vm/fetch.sh" --source >&2
if [ "$KTLS_KSUITE" != bookworm ] && [ "${KTLS_DKMS_IN_CHROOT:-}" != 1 ]; then
	root=$("$here/../tests/vm/chroot.sh" "$KTLS_KSUITE" | tail -1) || exit $?
	cache_lock "chroot-$KTLS_KSUITE"
	rm -rf "$root/ktls" && mkdir -p "$root/ktls/debs"
	cp -r "$here" "$root/ktls/kmod-patches"
	mkdir -p "$root/ktls/tests/vm" && cp "$here/../tests/vm/env.sh" "$here/../tests/vm/fetch.sh" \
		"$root/ktls/tests/vm/" && cp "$here/../tests/skip.sh" "$root/ktls/tests/"
	# The headers depend on the image: it goes in too (never booted there).
	for p in "linux-image-$KREL-unsigned" "linux-headers-$KREL" "linux-headers-$KTLS_KVER-common" \
		"$KTLS_KBUILD" "linux-source-$KTLS_KSERIES"; do
		cp "$(ls "$DEBS/${p}_"*.deb | grep -F "_${KTLS_KPKGVER}_" | head -1)" "$root/ktls/debs/"
	done
	mount -t proc proc "$root/proc"
	trap 'umount "$root/proc"; rm -rf "$root/ktls"' EXIT
	chroot "$root" env KTLS_DKMS_IN_CHROOT=1 KTLS_KERNEL="$KTLS_KERNEL" bash /ktls/kmod-patches/dkms-test.sh
	exit $?
fi
if [ "${KTLS_DKMS_IN_CHROOT:-}" = 1 ]; then
	# Inside the chroot: the packages were copied in; fetch.sh has nothing to do.
	DEBS=/ktls/debs
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >/dev/null
fi
apt-get install -y -q --no-install-recommends dkms >/dev/null
pkgs=()
[ "${KTLS_DKMS_IN_CHROOT:-}" = 1 ] && pkgs+=("$(ls "$DEBS/linux-image-$KREL-unsigned_"*.deb)")
for p in "linux-headers-$KREL" "linux-headers-$KTLS_KVER-common" "$KTLS_KBUILD" "linux-source-$KTLS_KSERIES"; do
	pkgs+=("$(ls "$DEBS/${p}_"*.deb | grep -F "_${KTLS_KPKGVER}_" | head -1)")
done
apt-get install -y -q --no-install-recommends "${pkgs[@]}" >/dev/null
dkms remove -m ktls-tls -v 2 --all >/dev/null 2>&1 || true
rm -rf /usr/src/ktls-tls-2
cp -r "$here" /usr/src/ktls-tls-2
dkms add -m ktls-tls -v 2 >/dev/null
dkms build -m ktls-tls -v 2 -k "$KREL" --force
ko=$(find /var/lib/dkms/ktls-tls/2/"$KREL" -name 'tls.ko*' | head -1)
version=$(modinfo -F version "$ko")
echo "dkms built $ko: version $version"
dkms remove -m ktls-tls -v 2 --all >/dev/null
[ "$version" = ktls-rekey-2 ]
