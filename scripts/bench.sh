#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Every benchmark of the project, from a release build (build-rel), in one
# table: each row both figures, the ratio, the target and whether it is met.
# Figures are medians over interleaved rounds (the benchmarks themselves
# alternate ours and the reference within each round).
#   scripts/bench.sh [--rounds N] [--quick] [--vm]
# --quick: fewer rounds and shorter loops (a smoke run, not figures);
# --vm: also the rows that need kTLS, from one VM boot (tests/bench/
# run-vm-rows.sh): heap per connection with both directions in the kernel,
# serve RSS per idle open connection, the kernel's slab per connection,
# kTLS sendfile against userspace records, KeyUpdate with kernel re-keys.
# The raw output (every round) is kept in build-rel/bench.log.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=7 secs=0.5 mb=32 conns=200 vm=0
while [ $# -gt 0 ]; do
	case $1 in
	--rounds) rounds=$2; shift ;;
	--quick) rounds=3 secs=0.2 mb=4 conns=100 ;;
	--vm) vm=1 ;;
	*) echo "usage: bench.sh [--rounds N] [--quick] [--vm]" >&2; exit 2 ;;
	esac
	shift
done
dir=build-rel
[ -f $dir/build.ninja ] || meson setup $dir --buildtype=release >/dev/null
ninja -C $dir >/dev/null
b=$dir/tests/bench
certs=$dir/tests/certs
rows=$(mktemp)
trap 'rm -f "$rows"' EXIT
{
	nice -n 0 $b/bench_record "$rounds" "$mb"
	$b/bench_handshake "$certs" "$rounds" "$secs"
	$b/bench_resume "$certs" "$rounds" "$secs"
	$b/bench_mem "$certs" "$conns" "$rounds"
	if [ $vm = 1 ]; then
		tests/bench/run-vm-rows.sh
	fi
} | tee "$dir/bench.log" | grep '^ROW|' >"$rows" || true

cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
echo "ktls benchmarks, $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "machine: $cpu, $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), kernel $(uname -r)"
echo "build: $dir ($(meson introspect --buildoptions $dir 2>/dev/null | python3 -c 'import json,sys; o={x["name"]:x["value"] for x in json.load(sys.stdin)}; print("buildtype=%s, b_sanitize=%s" % (o["buildtype"], o["b_sanitize"]))')), $(cc --version | head -1), $(openssl version)"
echo "medians of $rounds interleaved rounds"
python3 - "$rows" <<'PY'
import sys
rows = [l.rstrip("\n").split("|")[1:] for l in open(sys.argv[1]) if l.startswith("ROW|")]
hdr = ("measure", "ours", "reference", "unit", "ratio", "target", "met")
out, met_n, miss_n = [], 0, 0
for name, ours, ref, unit, ratio, op, target in rows:
    met = "-"
    if target != "-":
        # A ratio is judged when there is one; else our figure itself.
        v = float(ratio) if ratio != "-" else float(ours)
        t = float(target)
        ok = v >= t if op == ">=" else v <= t
        met = "yes" if ok else "NO"
        met_n += ok
        miss_n += not ok
    tgt = "%s %s" % (op, target) if target != "-" else "-"
    out.append((name, ours, ref, unit, ratio, tgt, met))
w = [max(len(r[i]) for r in out + [hdr]) for i in range(len(hdr))]
fmt = "  ".join("%%-%ds" % x if i == 0 else "%%%ds" % x for i, x in enumerate(w))
print(fmt % hdr)
print("  ".join("-" * x for x in w))
for r in out:
    print(fmt % r)
print("targets met: %d of %d" % (met_n, met_n + miss_n))
PY
