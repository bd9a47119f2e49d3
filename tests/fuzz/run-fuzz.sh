#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Builds the libFuzzer target with clang (ASan + UBSan) and runs it for a
# bounded time from a generated seed corpus with a fixed seed:
#   run-fuzz.sh SRCDIR OUTDIR CERTDIR SECONDS
# SKIP (77) without clang's libFuzzer.
set -euo pipefail
src=$1 out=$2 certs=$3 secs=$4
command -v clang >/dev/null || { echo "SKIP: clang is not installed"; exit 77; }
mkdir -p "$out"
bin="$out/fuzz_handshake"
srcs=("$src"/lib/src/*.c "$src/tests/fuzz/fuzz_handshake.c")
if [ ! -x "$bin" ] || [ -n "$(find "${srcs[@]}" "$src"/lib/src/*.h -newer "$bin" | head -1)" ]; then
	clang -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -D_GNU_SOURCE \
		-DKTLS_BUILDING -I"$src/lib/include" -I"$src/lib/src" "${srcs[@]}" -lcrypto -lpthread \
		-o "$bin" 2>"$out/build.log" || {
		if grep -q "fuzzer" "$out/build.log"; then
			echo "SKIP: clang cannot link libFuzzer here"; cat "$out/build.log"; exit 77
		fi
		cat "$out/build.log"; exit 1
	}
fi
rm -rf "$out/corpus" && mkdir -p "$out/corpus"
KTLS_TEST_CERTS=$certs KTLS_FUZZ_SEEDS="$out/corpus" "$bin"
echo "seeds: $(ls "$out/corpus" | wc -l)"
KTLS_TEST_CERTS=$certs "$bin" -seed=1 -max_total_time="$secs" -max_len=16384 -timeout=10 \
	-rss_limit_mb=2048 -print_final_stats=1 "$out/corpus" 2>&1 | tail -15
