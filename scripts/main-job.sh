#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# The main job, on a kernel with kTLS (the VM, or a host that has it):
# ktls-ctl serve sends a file over kTLS with a key update every few MiB,
# ktls-ctl get fetches it (asking for updates too) while ktls-ctl list
# looks at the live sockets, the checksums are compared, and ktls-ctl status
# shows what the kernel counted.
#   main-job.sh [SIZE_MIB] [UPDATE_EVERY]      (defaults 64 and 4M)
set -u
size=${1:-64}
every=${2:-4M}
T=$(mktemp -d /tmp/ktls-main.XXXXXX)
mkdir "$T/www"
echo "=== ktls-ctl status"
ktls-ctl status | sed -n '1,9p'
echo
echo "=== a ${size} MiB file of random bytes"
dd if=/dev/urandom of="$T/www/file.bin" bs=1048576 count="$size" 2>/dev/null
want=$(sha256sum <"$T/www/file.bin" | cut -c1-64)
echo "sha256 $want"
echo
echo "=== ktls-ctl serve --key-update-bytes $every"
ktls-ctl serve --port 8443 --key-update-bytes "$every" "$T/www" >"$T/access.log" 2>"$T/serve.err" &
srv=$!
for _ in $(seq 1 100); do grep -q listening "$T/serve.err" && break; sleep 0.1; done
cat "$T/serve.err"
cert=$(sed -n 's/.*self-signed certificate for localhost: //p' "$T/serve.err")
echo
echo "=== ktls-ctl get --request-key-update 16M (ktls-ctl list runs during the transfer)"
ktls-ctl get --cafile "$cert" --request-key-update 16M -o "$T/got.bin" \
	https://127.0.0.1:8443/file.bin 2>"$T/get.err" &
get=$!
sleep 1
echo "--- ktls-ctl list --port 8443"
ktls-ctl list --port 8443
wait "$get"
rc=$?
cat "$T/get.err"
echo
echo "=== checksum"
got=$(sha256sum <"$T/got.bin" | cut -c1-64)
echo "sent     $want"
echo "received $got"
kill -TERM "$srv"
wait "$srv"
echo
echo "=== the server's access log and summary"
cat "$T/access.log"
tail -1 "$T/serve.err"
echo
echo "=== kernel re-key counters (ktls-ctl status)"
ktls-ctl status | grep -E "Rekey|TlsTxSw|TlsRxSw|TlsDecryptError"
rm -rf "$T"
if [ "$rc" = 0 ] && [ "$want" = "$got" ]; then
	echo
	echo "RESULT: OK, byte-exact across every key update"
	exit 0
fi
echo
echo "RESULT: FAILED"
exit 1
