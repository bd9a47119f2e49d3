#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Builds a libFuzzer target with clang (ASan + UBSan) and runs it for a
# bounded time with a fixed seed: the handshake (from a generated seed
# corpus) or ktls-ctl's HTTP heads (from a few requests):
#   run-fuzz.sh SRCDIR OUTDIR CERTDIR SECONDS [handshake|http]
# SKIP (77) without clang's libFuzzer; under CI, a failure instead.
set -euo pipefail
src=$1 out=$2 certs=$3 secs=$4 target=${5:-handshake}
. "$src/tests/skip.sh"
command -v clang >/dev/null || test_skip "clang is not installed"
mkdir -p "$out"
bin="$out/fuzz_$target"
if [ "$target" = http ]; then
	srcs=("$src"/tools/ktls-ctl/http*.c "$src/tests/fuzz/fuzz_http.c")
else
	srcs=("$src"/lib/src/*/*.c "$src/tests/fuzz/fuzz_handshake.c")
fi
if [ ! -x "$bin" ] || [ -n "$(find "${srcs[@]}" "$src"/lib/src/*/*.h -newer "$bin" | head -1)" ]; then
	clang -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -D_GNU_SOURCE \
		-DKTLS_BUILDING -I"$src/lib/include" -I"$src/lib/src" "${srcs[@]}" -lcrypto -lpthread \
		-o "$bin" 2>"$out/build.log" || {
		if grep -q "fuzzer" "$out/build.log"; then
			cat "$out/build.log"; test_skip "clang cannot link libFuzzer here"
		fi
		cat "$out/build.log"; exit 1
	}
fi
corpus="$out/corpus-$target"
rm -rf "$corpus" && mkdir -p "$corpus"
if [ "$target" = http ]; then
	printf 'GET /a/b.txt?q=1 HTTP/1.1\r\nHost: x\r\nRange: bytes=10-20\r\nConnection: close\r\n\r\n' >"$corpus/get"
	printf 'HEAD /../%%2e%%2e/x HTTP/1.0\r\n\r\n' >"$corpus/head"
	printf 'HTTP/1.1 206 Partial Content\r\nContent-Length: 42\r\nConnection: keep-alive\r\n\r\n' >"$corpus/resp"
	printf '\r\nGET / HTTP/1.1\r\nHost: x\r\nIf-None-Match: W/"1-2", "a,b"\r\nIf-Range: "1-2"\r\n\r\n' >"$corpus/cond"
	printf 'GET / HTTP/1.1\r\nHost: x\r\nIf-Modified-Since: Sun, 06 Nov 1994 08:49:37 GMT\r\n\r\n' >"$corpus/ims"
	printf 'GET / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\nContent-Length: 0\r\n\r\n' >"$corpus/te"
	printf 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n' >"$corpus/resp-chunked"
	printf '5;x=y\r\nhello\r\n0\r\nT: v\r\n\r\n' >"$corpus/chunks"
else
	KTLS_TEST_CERTS=$certs KTLS_FUZZ_SEEDS="$corpus" "$bin"
fi
echo "seeds: $(ls "$corpus" | wc -l)"
KTLS_TEST_CERTS=$certs "$bin" -seed=1 -max_total_time="$secs" -max_len=16384 -timeout=10 \
	-rss_limit_mb=2048 -print_final_stats=1 "$corpus" 2>&1 | tail -15
