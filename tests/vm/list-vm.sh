#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# In the VM: ktls-ctl list must see a live kTLS socket of a test transfer
# (our server; an openssl client holds the connection open) with the right
# cipher, software TX/RX, its port and its owner.
C=/work/certs
ktls_conn_peer server 4500 $C/server-ecdsa256.pem $C/server-ecdsa256.key >/tmp/srv.out 2>&1 &
sleep 1
{ sleep 4; } | openssl s_client -connect 127.0.0.1:4500 -CAfile $C/ca.pem \
	-servername server.test -ciphersuites TLS_AES_256_GCM_SHA384 >/tmp/cli.out 2>&1 &
sleep 2
ktls-ctl list
ktls-ctl list --json >/tmp/all.json
ktls-ctl list --port 4500 --json >/tmp/port.json
ktls-ctl list --port 4501 >/tmp/none.txt
wait
cat /tmp/all.json
fail=0
grep -q '"local":"127.0.0.1:4500"' /tmp/all.json || { echo "not ok - server socket missing"; fail=1; }
grep -q '"version":"1.3","cipher":"AES-GCM-256","tx":"sw","rx":"sw"' /tmp/all.json ||
	{ echo "not ok - wrong TLS details"; fail=1; }
grep -q '"command":"ktls_conn_peer"' /tmp/all.json || { echo "not ok - owner missing"; fail=1; }
grep -q '4500' /tmp/port.json || { echo "not ok - port filter lost it"; fail=1; }
grep -q 'no kernel TLS sockets match' /tmp/none.txt || { echo "not ok - port filter kept others"; fail=1; }
[ "$fail" = 0 ] && echo "ok - ktls-ctl list sees the transfer's socket"
exit $fail
