#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Runs the kernel's own kTLS selftest (tools/testing/selftests/net/tls.c from
# the pinned linux-source package, with our compile fix applied) in the VM.
#
#   selftest.sh [--full] [--tls-ko FILE] [--expect stock|rekey] [--from KERNEL]
#
# --from takes the selftest of another kernel of the matrix (sid-7.2: the
# newest upstream one), built against that kernel's own uAPI header; its
# expected failures on this kernel are listed by name and cause in
# selftest-xfail-from-KERNEL-on-SERIES-EXPECT.txt.
#
# Default: a representative subset (every variant-less case, plus the TLS 1.3
# AES-GCM-128 variant); --full: every variant Debian's kernel has ciphers for. With --expect stock the re-key cases listed in
# selftest-xfail-stock.txt must fail (reported as XFAIL by name) and every
# other case must pass; with --expect rekey every case must pass.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/env.sh"
full=0 tls_ko=() expect=stock from=""
while (($#)); do
	case $1 in
	--full) full=1; shift ;;
	--from) from=$2; shift 2 ;;
	--tls-ko) tls_ko=(--tls-ko "$2"); shift 2 ;;
	--expect) expect=$2; shift 2 ;;
	*) echo "selftest.sh: unknown option $1" >&2; exit 2 ;;
	esac
done
"$here/fetch.sh" --source
src="$KROOT/source"
srcname=$KREL
extra_xfail=""
if [ -n "$from" ]; then
	KTLS_KERNEL=$from env -u KTLS_KVER -u KTLS_KPKGVER -u KTLS_KSERIES -u KTLS_KBUILD \
		-u KTLS_KSUITE -u KREL -u KROOT "$here/fetch.sh" --source
	srcname=$(KTLS_KERNEL=$from env -u KTLS_KVER -u KTLS_KPKGVER -u KTLS_KSERIES -u KTLS_KBUILD \
		-u KTLS_KSUITE -u KREL -u KROOT bash -c ". '$here/env.sh'; echo \$KREL")
	src="$KTLS_CACHE/kernel/$srcname/source"
	extra_xfail="$here/selftest-xfail-from-$from-on-$KTLS_KSERIES-$expect.txt"
	[ -f "$extra_xfail" ] || { echo "selftest.sh: no $extra_xfail" >&2; exit 2; }
fi
[ -f "$src/tools/testing/selftests/net/tls.c" ] || vm_skip "linux-source has no net/tls.c selftest"

# Build once per selftest source and patch version. The fix (compile fix
# and longer timeouts for TCG) has a variant per kernel series where the
# file differs; the newest selftest needs only the timeouts.
fix="$here/selftest-tls-keygen.patch"
[ -f "$here/selftest-tls-keygen-$KTLS_KSERIES.patch" ] && fix="$here/selftest-tls-keygen-$KTLS_KSERIES.patch"
[ -n "$from" ] && fix="$here/selftest-tls-timeouts-$from.patch"
cache_lock "selftest-$KREL"
stamp=$(cat "$fix" | sha256sum | cut -c1-12)
bin="$KTLS_CACHE/selftest/$srcname-$stamp/tls"
if [ ! -x "$bin" ]; then
	b=$(mktemp -d)
	mkdir -p "$b/tools/testing/selftests/net" "$b/uapi/linux"
	cp "$src/tools/testing/selftests/net/tls.c" "$b/tools/testing/selftests/net/"
	cp "$src/include/uapi/linux/tls.h" "$b/uapi/linux/"
	patch -s -d "$b" -p1 <"$fix"
	mkdir -p "$(dirname "$bin")"
	gcc -O2 -static -o "$bin" -I"$src/tools/testing/selftests/net" -I"$src/tools/testing/selftests" \
		-I"$b/uapi" "$b/tools/testing/selftests/net/tls.c" -lpthread
	rm -rf "$b"
fi
exec 9>&- # built: the VM run needs no lock

# Ciphers Debian's kernel lacks (SM4, ARIA) are never run, where the
# harness can leave cases out (its getopt); 6.1's runs every case.
filters=1
grep -q getopt "$src/tools/testing/selftests/kselftest_harness.h" || filters=0
[ "$filters" = 1 ] || [ "$full" = 1 ] ||
	echo "selftest.sh: this harness cannot run a subset: running every case"
[ "$filters" = 1 ] || full=1
exclude=(-V 13_sm4_gcm -V 13_sm4_ccm -V 12_aria_gcm -V 12_aria_gcm_256)
# The subset: TLS 1.3 AES-GCM-128 only (our own VM tests cover every cipher),
# without the multi-process stress cases that take ~35 s under TCG.
[ "$full" = 1 ] || exclude+=(-V 12_aes_gcm -V 12_chacha -V 13_chacha -V 12_aes_ccm -V 13_aes_ccm
	-V 12_aes_gcm_256 -V 13_aes_gcm_256 -V 13_nopad
	-T mutliproc_even -T mutliproc_readers -T mutliproc_writers
	-T mutliproc_sendpage_even -T mutliproc_sendpage_readers -T mutliproc_sendpage_writers)

# On the stock module three re-key cases hang until the harness's 30 s
# timeout. The subset names them as expected failures without running them;
# the full run (suite vm-long) runs them.
not_run=()
if [ "$full" = 0 ] && [ "$expect" = stock ] && [ -z "$from" ]; then
	for t in rekey rekey_fail splice_rekey; do
		exclude+=(-T "$t")
		not_run+=("tls.13_aes_gcm.$t")
	done
fi

[ "$filters" = 1 ] || exclude=()
# A full run (every case, some of them hanging to the harness's timeout on
# stock) can outlast run.sh's default of 10 minutes beside other VMs.
vm_timeout=600
[ "$full" = 0 ] || vm_timeout=2700
log=$(mktemp)
trap 'rm -f "$log"' EXIT
rc=0
"$here/run.sh" --timeout "$vm_timeout" --bin "$bin" "${tls_ko[@]+"${tls_ko[@]}"}" -- tls "${exclude[@]}" >"$log" 2>&1 || rc=$?
[ "$rc" = 77 ] && { cat "$log"; exit 77; }

patterns=()
if [ "$expect" = stock ] && [ -z "$from" ]; then
	while read -r p; do patterns+=("$p"); done < <(grep -v '^#' "$here/selftest-xfail-stock.txt" | grep .)
fi
# Lines "glob  cause": only the glob counts.
if [ -n "$extra_xfail" ]; then
	while read -r p _; do patterns+=("$p"); done < <(grep -v '^#' "$extra_xfail" | grep .)
fi
# A harness without -V/-T (6.1's) runs the variants of ciphers Debian's
# kernel lacks too; those fail whatever the module.
if [ "$filters" = 0 ]; then
	while read -r p; do patterns+=("$p"); done < <(grep -v '^#' "$here/selftest-xfail-absent.txt" | grep .)
fi
is_xfail() {
	local p
	for p in "${patterns[@]+"${patterns[@]}"}"; do
		# shellcheck disable=SC2053
		[[ $1 == $p ]] && return 0
	done
	return 1
}
pass=0 fail=0 xfail=0 xpass=0 skip=0
for name in "${not_run[@]+"${not_run[@]}"}"; do
	xfail=$((xfail + 1))
	echo "XFAIL $name (not run in the subset: hangs to the timeout on the stock module)"
done
while read -r line; do
	case $line in
	"ok "*" # SKIP"*) skip=$((skip + 1)) ;;
	"ok "*)
		name=$(awk '{print $3}' <<<"$line")
		if is_xfail "$name"; then
			xpass=$((xpass + 1))
			echo "XPASS $name (listed as failing on the stock module)"
		else
			pass=$((pass + 1))
		fi
		;;
	"not ok "*)
		name=$(awk '{print $4}' <<<"$line")
		if is_xfail "$name"; then
			xfail=$((xfail + 1))
			echo "XFAIL $name"
		else
			fail=$((fail + 1))
			echo "FAIL  $name"
		fi
		;;
	esac
done < <(grep -E '^(not )?ok [0-9]+ ' "$log")
total=$((pass + fail + xfail + xpass + skip))
echo "kernel selftest ($([ $full = 1 ] && echo full || echo subset), expect $expect): $total cases: $pass passed, $fail failed, $xfail expected failures, $xpass unexpected passes, $skip skipped"
# The harness's closing "Totals" line: without it the run was cut short.
finished=1
grep -q '^# Totals:' "$log" || { finished=0; echo "the selftest did not finish (status $rc)"; }
if [ "$total" = 0 ] || [ "$finished" = 0 ] || [ "$fail" != 0 ] || [ "$xpass" != 0 ] ||
	{ [ "$rc" != 0 ] && [ "$rc" != 1 ]; }; then
	echo "--- VM log ---"
	grep -v '^ok ' "$log" | tail -80
	exit 1
fi
exit 0
