# SPDX-License-Identifier: Apache-2.0
# Shared settings for the VM harness; sourced, not run.
# The kernel matrix: KTLS_KERNEL picks one (default: Debian 12's 6.12
# backport); KTLS_KVER and friends may still be set one by one.
#   deb12-6.12  Debian 12, 6.12 backport       (patched module: series 6.12)
#   deb12-6.1   Debian 12's own 6.1            (series 6.1)
#   deb13-6.12  Debian 13's 6.12               (series 6.12, trixie's gcc-14)
#   sid-7.2     sid's mainline 7.2, stock only (native re-key and max payload)
# For each, image, headers, kbuild and source packages exist at one version.
: "${KTLS_KERNEL:=deb12-6.12}"
case $KTLS_KERNEL in
deb12-6.12) _kv=6.12.117+deb12 _kp=6.12.117-1~deb12u1 _ks=6.12 _kb=linux-kbuild-6.12.117+deb12 _su=bookworm ;;
deb12-6.1) _kv=6.1.0-57 _kp=6.1.192-3 _ks=6.1 _kb=linux-kbuild-6.1 _su=bookworm ;;
deb13-6.12) _kv=6.12.117+deb13 _kp=6.12.117-1 _ks=6.12 _kb=linux-kbuild-6.12.117+deb13 _su=trixie ;;
sid-7.2) _kv=7.2.13+deb14 _kp=7.2.13-1 _ks=7.2 _kb=linux-kbuild-7.2.13+deb14 _su=sid ;;
*) echo "env.sh: unknown KTLS_KERNEL=$KTLS_KERNEL (deb12-6.12, deb12-6.1, deb13-6.12, sid-7.2)" >&2
   exit 2 ;;
esac
: "${KTLS_KVER:=$_kv}"          # kernel ABI name (uname -r minus -amd64)
: "${KTLS_KPKGVER:=$_kp}"       # Debian package version
: "${KTLS_KSERIES:=$_ks}"
: "${KTLS_KBUILD:=$_kb}"        # Debian names kbuild by ABI, or by series (6.1)
: "${KTLS_KSUITE:=$_su}"        # the Debian suite the packages come from
unset _kv _kp _ks _kb _su
: "${KTLS_CACHE:=${XDG_CACHE_HOME:-$HOME/.cache}/ktls}"
KREL="$KTLS_KVER-amd64"
DEBS="$KTLS_CACHE/debs"
KROOT="$KTLS_CACHE/kernel/$KREL"        # extracted packages, per kernel
export KTLS_KERNEL KTLS_KVER KTLS_KPKGVER KTLS_KSERIES KTLS_KBUILD KTLS_KSUITE KTLS_CACHE KREL DEBS KROOT

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

# apt-get for a Debian suite: bookworm is the host's own; newer suites go
# through a private sources list and state under the cache (the host's apt
# configuration is never touched). "suite_apt SUITE update" fills the lists.
suite_apt() { # suite_apt SUITE APT-GET-ARGS...
	local suite=$1
	shift
	if [ "$suite" = bookworm ]; then
		apt-get "$@"
		return
	fi
	local d="$KTLS_CACHE/apt/$suite"
	mkdir -p "$d/lists/partial" "$d/cache/archives/partial"
	if [ ! -f "$d/sources.list" ]; then
		# The host's own Debian mirror (the archive's main URI), for the other suite.
		local uri
		uri=$(apt-get indextargets --format '$(REPO_URI)' 2>/dev/null | grep -v -- -security | grep '/debian/$' | head -1)
		[ -n "$uri" ] || vm_skip "the host's apt configuration names no Debian archive"
		echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $uri $suite main" >"$d/sources.list"
	fi
	apt-get -o Dir::Etc::SourceList="$d/sources.list" -o Dir::Etc::SourceParts=/dev/null \
		-o Dir::State::Lists="$d/lists" -o Dir::Cache="$d/cache" \
		-o Dir::State::status=/dev/null -o Debug::NoLocking=1 "$@"
}
# Downloads PKG=VERSION from SUITE into directory DIR unless a .deb of that
# version is there; prints its path. Lists are refreshed only on a miss.
suite_fetch() { # suite_fetch SUITE DIR PKG VERSION
	local suite=$1 dir=$2 pkg=$3 ver=$4 f
	f=$(ls "$dir/${pkg}_"*.deb 2>/dev/null | grep -F "_${ver//:/%3a}_" | head -1 || true)
	if [ -z "$f" ]; then
		vm_log "downloading $pkg=$ver ($suite)"
		mkdir -p "$dir"
		(cd "$dir" && suite_apt "$suite" download -q "$pkg=$ver" >/dev/null 2>&1) ||
			(cd "$dir" && suite_apt "$suite" update -qq >/dev/null 2>&1 &&
				suite_apt "$suite" download -q "$pkg=$ver" >/dev/null 2>&1) ||
			vm_skip "cannot download $pkg=$ver from the Debian archive ($suite)"
		f=$(ls "$dir/${pkg}_"*.deb | grep -F "_${ver//:/%3a}_" | head -1)
	fi
	echo "$f"
}
