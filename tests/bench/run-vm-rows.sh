#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The benchmark rows that need kTLS, from one VM boot with the patched tls
# module and the release build (scripts/bench.sh --vm): library heap per
# connection and KeyUpdate cost with both directions in the kernel
# (bench_mem), serve's RSS per idle open connection and the kernel's slab
# per connection (the load test, KTLS_LOAD_N connections, default 1000),
# kTLS sendfile against the userspace record layer (ktls-ctl bench).
# Prints ROW lines; the VM's whole output goes to build-rel/bench-vm.log.
set -euo pipefail
cd "$(dirname "$0")/../.."
dir=build-rel
[ -f $dir/build.ninja ] || meson setup $dir --buildtype=release >/dev/null
ninja -C $dir >/dev/null
n=${KTLS_LOAD_N:-1000}
size=${KTLS_BENCH_SIZE:-256M}
export KTLS_VM_MEM=${KTLS_VM_MEM:-2G} KTLS_VM_TIMEOUT=${KTLS_VM_TIMEOUT:-1800}
log=$dir/bench-vm.log
tests/vm/with-kmod.sh run.sh --bin $dir/tests/bench/bench_mem --bin $dir/tools/ktls-ctl \
	--bin $dir/tests/vm/vm_load --env KTLS_LOAD_N="$n" --file $dir/tests/certs=certs \
	--file tests/vm/load-vm.sh=load-vm.sh -- sh -c \
	"bench_mem /work/certs 200 5; sh /work/load-vm.sh; ktls-ctl bench --size $size --key-update-bytes 1M --rounds 3" \
	>"$log" 2>&1 || echo "run-vm-rows: the VM run failed (see $log)" >&2
grep '^ROW|' "$log" | sed 's/^\(ROW|[^|]*\)|/\1 (VM)|/; s/ (VM) (VM)|/ (VM)|/; s/, VM) (VM)|/, VM)|/'
# ktls-ctl bench's table: kTLS against the userspace record layer.
python3 - "$log" <<'PY'
import re, sys
rows = {}
for line in open(sys.argv[1], errors="replace"):
    m = re.match(r"^(kTLS|userspace)(.*?)\s+([\d.]+)\s+(\S+)\s+([\d.]+)s\s+([\d.]+)s\s+(\S+)\s+(\d+)\s*$", line)
    if m:
        rows[(m.group(1) + m.group(2)).strip()] = (float(m.group(3)), float(m.group(5)) + float(m.group(6)))
    m = re.match(r"^one key update \(both ends, kernel re-key included\): ([\d.]+) us", line)
    if m:
        print("ROW|KeyUpdate cost with kernel re-key, both ends (ktls-ctl bench, VM)|%s|-|us|-|-|-" % m.group(1))
def pick(kernel, updates):
    for k, v in rows.items():
        if k.startswith(kernel) and (("update" in k) == updates):
            return v
for updates in (False, True):
    k, u = pick("kTLS", updates), pick("userspace", updates)
    tag = "with a key update every MiB" if updates else "no key updates"
    if k and u:
        print("ROW|sendfile throughput, kTLS vs userspace records, %s (VM)|%.1f|%.1f|MiB/s|%.3f|-|-" % (tag, k[0], u[0], k[0] / u[0]))
        print("ROW|CPU per GiB (both ends), kTLS vs userspace records, %s (VM)|%.2f|%.2f|s|%.3f|-|-" % (tag, k[1], u[1], k[1] / u[1]))
PY
