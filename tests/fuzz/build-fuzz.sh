#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Builds one libFuzzer target with clang and prints the binary's path:
#   build-fuzz.sh SRCDIR OUTDIR TARGET [asan|cov]
# asan (the default suite): ASan + UBSan, any report fatal. cov
# (fuzz-long.sh): clang source-based coverage instead. The library's
# objects are built once per OUTDIR and variant, under a lock, and shared
# by the targets. Exit 2: clang cannot link libFuzzer here.
set -euo pipefail
src=$1 out=$2 target=$3 variant=${4:-asan}
mkdir -p "$out"
case $variant in
asan) cflags=(-g -O1 -fsanitize=address,undefined -fno-sanitize-recover=all)
      link=(-fsanitize=fuzzer,address,undefined) ;;
cov)  cflags=(-g -O1 -fprofile-instr-generate -fcoverage-mapping)
      link=(-fsanitize=fuzzer -fprofile-instr-generate) ;;
*) echo "build-fuzz.sh: unknown variant $variant" >&2; exit 1 ;;
esac
cflags+=(-fsanitize=fuzzer-no-link -D_GNU_SOURCE -DKTLS_BUILDING -Wall -Wextra -Werror
	 -Wno-deprecated-declarations -I"$src/lib/include" -I"$src/lib/src" -I"$src/tests/fuzz")
fz=$src/tests/fuzz
case $target in
handshake) srcs=("$fz/fuzz_handshake.c"); lib=1 ;;
hs-client | hs-server | posths | ticket) srcs=("$fz/fuzz_${target//-/_}.c" "$fz/hspeer.c"); lib=1 ;;
record) srcs=("$fz/fuzz_$target.c"); lib=1 ;;
http) srcs=("$src"/tools/ktls-ctl/http*.c "$fz/fuzz_http.c"); lib=0 ;;
ctl-list) srcs=("$src/tools/ktls-ctl/list_parse.c" "$fz/fuzz_ctl_list.c"); lib=0
	  cflags+=(-I"$src/tools"); extra=(-lmnl) ;;
*) echo "build-fuzz.sh: unknown target $target" >&2; exit 1 ;;
esac
log=$out/build-$target-$variant.log
exec 9>"$out/build-$variant.lock"
flock 9
libs=()
if [ "$lib" = 1 ]; then
	obj=$out/obj-$variant
	ar=$out/libktls-fuzz-$variant.a
	if [ ! -f "$ar" ] || [ -n "$(find "$src"/lib/src "$src"/lib/include -newer "$ar" -name '*.[ch]' | head -1)" ]; then
		rm -rf "$obj" && mkdir -p "$obj"
		: >"$log"
		n=0
		for f in "$src"/lib/src/*/*.c; do
			o=$obj/$(basename "$(dirname "$f")")_$(basename "$f" .c).o
			clang "${cflags[@]}" -c "$f" -o "$o" 2>>"$log" &
			if ((++n % 2 == 0)); then wait; fi # two cores
		done
		wait
		[ "$(ls "$obj" | wc -l)" = "$n" ] || { cat "$log" >&2; exit 1; }
		rm -f "$ar" && ar rcs "$ar" "$obj"/*.o
	fi
	libs=("$ar")
fi
bin=$out/fuzz_${target//-/_}-$variant
if [ ! -x "$bin" ] || [ -n "$(find "${srcs[@]}" "$fz"/*.h "${libs[@]}" -newer "$bin" | head -1)" ]; then
	clang "${cflags[@]}" "${link[@]}" "${srcs[@]}" "${libs[@]}" -lcrypto -lpthread ${extra[@]+"${extra[@]}"} \
		-o "$bin" 2>"$log" || {
		cat "$log" >&2
		grep -q "fuzzer" "$log" && exit 2
		exit 1
	}
fi
echo "$bin"
