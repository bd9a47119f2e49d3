# SPDX-License-Identifier: Apache-2.0
# Shared settings for the VM harness; sourced, not run.
# The pinned kernel: Debian 12's 6.12 backport, for which image, headers,
# kbuild and source packages all exist in the archive at one version.
: "${KTLS_KVER:=6.12.117+deb12}"          # kernel ABI name (uname -r minus -amd64)
: "${KTLS_KPKGVER:=6.12.117-1~deb12u1}"   # Debian package version
: "${KTLS_KSERIES:=6.12}"
# Debian names kbuild by ABI for the 6.12 backport and by series for 6.1.
: "${KTLS_KBUILD:=linux-kbuild-$KTLS_KVER}"
: "${KTLS_CACHE:=${XDG_CACHE_HOME:-$HOME/.cache}/ktls}"
KREL="$KTLS_KVER-amd64"
DEBS="$KTLS_CACHE/debs"
KROOT="$KTLS_CACHE/kernel/$KREL"        # extracted packages, per kernel
export KTLS_KVER KTLS_KPKGVER KTLS_KSERIES KTLS_KBUILD KTLS_CACHE KREL DEBS KROOT

# VM tests may run two at a time: each script that fills the cache holds
# its own lock while it does (warm runs pass straight through).
cache_lock() { # cache_lock NAME
	mkdir -p "$KTLS_CACHE"
	exec 9>"$KTLS_CACHE/.lock-$1"
	flock 9
}

. "$(dirname "${BASH_SOURCE[0]}")/../skip.sh"
vm_skip() { test_skip "$@"; }
vm_log() { echo "vm: $*" >&2; }
