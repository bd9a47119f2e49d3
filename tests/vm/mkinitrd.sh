#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Builds the cached base initramfs for the pinned kernel: busybox, the tls and
# crypto modules, the openssl, gnutls and curl command-line peers with their
# libraries, and /init. Prints its path. Test payloads go in a second archive
# appended by run.sh, so the base is built once.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/env.sh"
"$here/fetch.sh"

cache_lock "initrd-$KREL"
stamp=$(cat "$here/mkinitrd.sh" "$here/init" "$here/env.sh" | sha256sum | cut -c1-12)
out="$KTLS_CACHE/initrd/base-$KREL-$stamp.cpio.gz"
if [ -f "$out" ]; then
	echo "$out"
	exit 0
fi
[ -x /bin/busybox ] || vm_skip "busybox-static is not installed (/bin/busybox)"
bb=/bin/busybox
file -L "$bb" 2>/dev/null | grep -q "statically linked" || true

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{bin,sbin,dev,proc,sys,tmp,etc,work,lib/modules/ktls/extra}
cp "$bb" "$root/bin/busybox"
cp "$here/init" "$root/init"
chmod +x "$root/init"

# Modules in load order: the tls ULP, then the AEADs it asks the crypto API
# for at setsockopt time (it has no link-time dependency on them).
# The names differ by kernel: 7.x folded the x86 ChaCha20 and Poly1305 code
# into the libraries (chacha, libchacha, libpoly1305; without them no
# ChaCha20-Poly1305) and GHASH into the GCM code.
case $KTLS_KSERIES in
6.*) mods="tls gcm ccm chacha20poly1305 aesni_intel ghash_generic chacha_x86_64 poly1305_x86_64 tcp_diag" ;;
*) mods="tls gcm ccm chacha20poly1305 aesni_intel chacha libchacha libpoly1305 tcp_diag" ;;
esac
n=0
for m in $mods; do
	modprobe --show-depends -d "$KROOT/image" -S "$KREL" "$m"
done | awk '$1 == "insmod" && !seen[$2]++ { print $2 }' | while read -r ko; do
	n=$((n + 1))
	cp "$ko" "$root/lib/modules/ktls/$(printf %02d $n)-$(basename "$ko")"
done
# Extra modules that tests load by hand: bonding links against tls.ko's
# exports (the ABI check of the kmod patches).
for m in bonding; do
	modprobe --show-depends -d "$KROOT/image" -S "$KREL" "$m" |
		awk '$1 == "insmod" && $2 !~ /\/tls\.ko$/ { print $2 }' | while read -r ko; do
		cp "$ko" "$root/lib/modules/ktls/extra/"
	done
done

# Interop peers and curl (a client of ktls-ctl serve), with their libraries.
"$here/add-bins.sh" "$root" /usr/bin/openssl /usr/bin/gnutls-serv /usr/bin/gnutls-cli /usr/bin/curl
mkdir -p "$root/usr/lib/ssl" && [ -f /usr/lib/ssl/openssl.cnf ] && cp -L /usr/lib/ssl/openssl.cnf "$root/usr/lib/ssl/" || true

mkdir -p "$(dirname "$out")"
(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) >"$out.tmp"
mv "$out.tmp" "$out"
echo "$out"
