#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# In the VM: KTLS_LOAD_N (default 1000) connections at once to ktls-ctl serve,
# all downloading with key updates (server policy every 32 KiB, every 8th
# client requesting more), every byte checked (vm_load). With
# KTLS_LOAD_MAX_RSS_KB, serve's RSS per idle open connection is held to it.
C=/work/certs
W=/tmp/www
mkdir -p $W
dd if=/dev/urandom of=$W/f.bin bs=1024 count=128 2>/dev/null
# One address opening them all, every handshake done before any request:
# serve's per-address limits and deadlines opened up for that.
N=${KTLS_LOAD_N:-1000}
M=$((N > 5000 ? N + 100 : 5000))
# Two descriptors per connection for serve, one for vm_load: above the
# VM's default hard limit (4096) from 2,000 connections on.
ulimit -n $((2 * M + 1000)) 2>/dev/null || echo "load-vm: cannot raise the descriptor limit" >&2
sysctl -qw net.core.somaxconn=$((M > 4096 ? M : 4096)) 2>/dev/null || true
ktls-ctl serve --port 8443 --cert $C/server-ecdsa256.pem --key $C/server-ecdsa256.key \
	--key-update-bytes 32K --idle-timeout 600 --max-connections $M \
	--max-connections-per-ip $M --max-handshakes $M --max-handshakes-per-ip $M \
	--handshake-timeout 600 --header-timeout 600 $W >/dev/null 2>/tmp/serve.err &
srv=$!
for _ in $(seq 1 100); do grep -q listening /tmp/serve.err && break; sleep 0.1; done
vm_load 127.0.0.1 8443 $C/ca.pem $W/f.bin /f.bin "$N" $srv
rc=$?
kill -TERM $srv
wait $srv || rc=1
[ $rc = 0 ] || sort /tmp/serve.err | sed "s/[0-9.]*:[0-9]*: //" | uniq -c | sort -rn | head -5
tail -1 /tmp/serve.err
exit $rc
