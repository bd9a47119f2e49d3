#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Runs one libFuzzer target (built by build-fuzz.sh: ASan + UBSan, any
# report fatal) for a bounded time with a fixed seed, from its committed
# corpus (tests/fuzz/corpus/TARGET) plus the seeds the harness writes from
# a real handshake where it has them, with its dictionary if any:
#   run-fuzz.sh SRCDIR OUTDIR CERTDIR SECONDS TARGET [libFuzzer flags...]
# Fails on a crash, leak, timeout or sanitizer report (the input is kept as
# OUTDIR/artifacts-TARGET/*). Prints "fuzz-executions: N" and the
# "summary-count: fuzz-executions N" line scripts/test.sh adds up.
# SKIP (77) without clang's libFuzzer; under CI, a failure instead.
set -euo pipefail
src=$1 out=$2 certs=$3 secs=$4 target=$5
shift 5
. "$src/tests/skip.sh"
command -v clang >/dev/null || test_skip "clang is not installed"
rc=0
bin=$("$src/tests/fuzz/build-fuzz.sh" "$src" "$out" "$target" asan) || rc=$?
[ "$rc" = 2 ] && test_skip "clang cannot link libFuzzer here"
[ "$rc" = 0 ] || exit "$rc"
work=$out/corpus-$target
art=$out/artifacts-$target
rm -rf "$work" "$art" && mkdir -p "$work" "$art"
cp "$src/tests/fuzz/corpus/$target/"* "$work/"
case $target in
handshake | hs-client | hs-server | posths)
	KTLS_TEST_CERTS=$certs KTLS_FUZZ_SEEDS="$work/gen" "$bin" >/dev/null 2>&1
	mv "$work/gen/"* "$work/" && rmdir "$work/gen" ;;
esac
dict=()
case $target in
handshake | hs-client | hs-server | posths) dict=(-dict="$src/tests/fuzz/dict/tls.dict") ;;
http | ctl-list) dict=(-dict="$src/tests/fuzz/dict/$target.dict") ;;
esac
echo "seeds: $(ls "$work" | wc -l)"
log=$out/run-$target.log
rc=0
KTLS_TEST_CERTS=$certs "$bin" -seed=1 -max_total_time="$secs" -max_len=16384 -timeout=10 \
	-rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$art/" "${dict[@]}" "$@" \
	"$work" >"$log" 2>&1 || rc=$?
tail -15 "$log"
n=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
echo "fuzz-executions: ${n:-0}"
echo "summary-count: fuzz-executions ${n:-0}"
if [ "$rc" != 0 ]; then
	grep -E "ERROR|SUMMARY|runtime error" "$log" | head -5 >&2 || true
	echo "FAIL: fuzz-$target: exit $rc; input kept in $art" >&2
fi
exit "$rc"
