#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Installs this tree with DKMS and builds the module for one pinned Debian
# kernel, as a user would: dkms-test.sh (KTLS_KVER etc. as for build.sh).
# It changes the system (installs dkms, the kernel's headers and
# linux-source packages, registers ktls-tls/1 and removes it again), so it
# is not part of the test suite; run it on a throwaway machine as root.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../tests/vm/env.sh"
"$here/../tests/vm/fetch.sh" --source >&2
apt-get install -y -q dkms >/dev/null
pkgs=()
for p in "linux-headers-$KREL" "linux-headers-$KTLS_KVER-common" "$KTLS_KBUILD" "linux-source-$KTLS_KSERIES"; do
	pkgs+=("$(ls "$DEBS/${p}_"*.deb | grep -F "_${KTLS_KPKGVER}_" | head -1)")
done
apt-get install -y -q "${pkgs[@]}" >/dev/null
dkms remove -m ktls-tls -v 1 --all >/dev/null 2>&1 || true
rm -rf /usr/src/ktls-tls-1
cp -r "$here" /usr/src/ktls-tls-1
dkms add -m ktls-tls -v 1 >/dev/null
dkms build -m ktls-tls -v 1 -k "$KREL" --force
ko=$(find /var/lib/dkms/ktls-tls/1/"$KREL" -name 'tls.ko*' | head -1)
version=$(modinfo -F version "$ko")
echo "dkms built $ko: version $version"
dkms remove -m ktls-tls -v 1 --all >/dev/null
[ "$version" = ktls-rekey-1 ]
