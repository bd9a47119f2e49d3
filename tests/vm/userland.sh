#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Unpacks (once) a newer Debian suite's command-line peers with their own
# glibc and loader into a directory the VM gets as /work/SUITE:
#   userland.sh SUITE        prints the directory
# The packages are pinned in userland-SUITE.pins and downloaded through the
# suite's private apt configuration (env.sh suite_apt). Each program gets a
# wrapper in bin/ that starts it with that loader and library path, so it
# runs on any host libc: /work/SUITE/bin/openssl, gnutls-cli, gnutls-serv.
# In bin/ too: env.sh, which sets OPENSSL_CONF/OPENSSL_MODULES and a GnuTLS
# configuration that enables kTLS (GnuTLS reads "ktls = true" from it), and
# gnutls_ktls_peer (tests/interop/gnutls_ktls_peer.c), built here against
# the suite's GnuTLS headers and library: a peer on GnuTLS's own socket
# transport, where GnuTLS does use kTLS.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/env.sh"
suite=${1:?usage: userland.sh SUITE}
pins="$here/userland-$suite.pins"
[ -f "$pins" ] || { echo "userland.sh: no $pins" >&2; exit 2; }
peer_src="$here/../interop/gnutls_ktls_peer.c"
stamp=$(cat "$pins" "$here/userland.sh" "$peer_src" | sha256sum | cut -c1-12)
out="$KTLS_CACHE/userland/$suite-$stamp"
cache_lock "userland-$suite"
if [ ! -f "$out/done" ]; then
	rm -rf "$out" && mkdir -p "$out/root"
	grep -v '^#' "$pins" | grep . | while IFS== read -r pkg ver; do
		dpkg-deb -x "$(suite_fetch "$suite" "$KTLS_CACHE/debs-$suite" "$pkg" "$ver")" "$out/root"
	done
	r="$out/root"
	ld=$(cd "$r" && ls usr/lib64/ld-linux-x86-64.so.2 lib64/ld-linux-x86-64.so.2 2>/dev/null | head -1 || true)
	[ -n "$ld" ] || { echo "userland.sh: no loader in $suite's libc6" >&2; exit 1; }
	mkdir -p "$out/bin" "$r/etc/gnutls"
	printf '[global]\nktls = true\n' >"$r/etc/gnutls/config"
	libs="/work/$suite/root/usr/lib/x86_64-linux-gnu:/work/$suite/root/lib/x86_64-linux-gnu"
	# Our GnuTLS peer: host gcc, the suite's headers; the library's own
	# needs (newer glibc) are met at run time by the suite's libc.
	if [ -f "$r/usr/include/gnutls/gnutls.h" ]; then
		gcc -O2 -Wall -Wextra -Werror -I"$r/usr/include" -o "$r/usr/bin/gnutls_ktls_peer" \
			"$peer_src" "$r/usr/lib/x86_64-linux-gnu/libgnutls.so.30" \
			-Wl,--allow-shlib-undefined
	fi
	for prog in openssl gnutls-cli gnutls-serv gnutls_ktls_peer; do
		[ -x "$r/usr/bin/$prog" ] || continue
		cat >"$out/bin/$prog" <<EOS
#!/bin/sh
. /work/$suite/bin/env.sh
exec /work/$suite/root/$ld --library-path $libs /work/$suite/root/usr/bin/$prog "\$@"
EOS
		chmod +x "$out/bin/$prog"
	done
	mods=$(cd "$r" && ls -d usr/lib/x86_64-linux-gnu/ossl-modules 2>/dev/null || true)
	cat >"$out/bin/env.sh" <<EOS
export OPENSSL_CONF=/work/$suite/root/etc/ssl/openssl.cnf
export OPENSSL_MODULES=/work/$suite/root/$mods
export GNUTLS_SYSTEM_PRIORITY_FILE=/work/$suite/root/etc/gnutls/config
EOS
	touch "$out/done"
fi
echo "$out"
