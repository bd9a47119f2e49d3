#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Runs inside the VM (busybox sh), with the patched tls module: key updates
# between ktls_conn_peer (records in the kernel) and real peers, both ways:
#  1. openssl s_server pushes 'k' and 'K' at our client
#  2. openssl s_client pushes 'k' and 'K' at our server
#  3. gnutls-cli pushes ^rekey^ and ^rekey1^ at our server
# Data must keep flowing after every update: each side echoes the other.
# Update counts are lower bounds: a peer may answer a request and honour
# its own scheduled update with one KeyUpdate (OpenSSL and we both do).
# OPENSSL, OPENSSL_KTLS (e.g. -ktls) and GNUTLS_CLI pick other peers
# (stacks-vm.sh: sid's, with kTLS on their side too).
C=/work/certs
: "${OPENSSL:=openssl}" "${GNUTLS_CLI:=gnutls-cli}" "${OPENSSL_KTLS:=}"
fail=0
check() { # name file pattern...
	name=$1 file=$2
	shift 2
	for p in "$@"; do
		if ! grep -q -- "$p" "$file"; then
			echo "not ok - $name: missing '$p'"
			sed "s/^/    /" "$file" | tail -25
			fail=$((fail + 1))
			return
		fi
	done
	echo "ok - $name"
}

# Commands are paced on evidence (wait-for.sh); the next line only once
# our side has taken the KeyUpdate in.
. "$(dirname "$0")/wait-for.sh"

# 1: openssl server, our client. s_server treats a line "k"/"K" as a command.
rm -f /tmp/c1.out
{ wait_for /tmp/c1.out "handshake ok"; echo "one"; wait_for /tmp/c1.out "got: one"
  echo k; wait_for /tmp/c1.out "key update received 2"
  echo "two UPDATE"; wait_for /tmp/c1.out "got: two UPDATE"
  echo K; wait_for /tmp/c1.out "key update received 3"
  echo "three"; wait_for /tmp/c1.out "got: three"; echo "BYE"; sleep 2; } |
	timeout 120 $OPENSSL s_server $OPENSSL_KTLS -accept 4431 -cert $C/server-ecdsa256.pem -key $C/server-ecdsa256.key \
		-tls1_3 -naccept 1 >/tmp/s1.out 2>&1 &
wait_port 4431
ktls_conn_peer client 127.0.0.1 4431 $C/ca.pem >/tmp/c1.out 2>&1
wait
check "openssl s_server k/K -> our client (kTLS)" /tmp/c1.out "offload tx+rx" "got: one" \
	"got: two UPDATE" "got: three" "key_updates_received=[2-9]"
check "  ... s_server got our data and echoes after every update" /tmp/s1.out "hello" "echo:one" \
	"echo:two UPDATE" "echo:three"

# 2: our server, openssl client.
timeout 120 ktls_conn_peer server 4432 $C/server-ecdsa256.pem $C/server-ecdsa256.key >/tmp/c2.out 2>&1 &
wait_port 4432
{ wait_for /tmp/c2.out "handshake ok"; echo "one"; wait_for /tmp/c2.out "got: one"
  echo k; wait_for /tmp/c2.out "key update received 1"
  echo "two UPDATE"; wait_for /tmp/c2.out "got: two UPDATE"
  echo K; wait_for /tmp/c2.out "key update received 2"
  echo "three BYE"; sleep 2; } |
	$OPENSSL s_client $OPENSSL_KTLS -connect 127.0.0.1:4432 -CAfile $C/ca.pem -servername server.test \
		-tls1_3 >/tmp/s2.out 2>&1
wait
check "openssl s_client k/K -> our server (kTLS)" /tmp/c2.out "offload tx+rx" "got: one" \
	"got: two UPDATE" "got: three BYE" "key_updates_received=[2-9]" "key_updates_sent=[1-9]"
check "  ... s_client got our echoes after every update" /tmp/s2.out "echo:one" "echo:three BYE"

# 3: our server, gnutls client with inline commands.
timeout 120 ktls_conn_peer server 4433 $C/server-ecdsa256.pem $C/server-ecdsa256.key >/tmp/c3.out 2>&1 &
wait_port 4433
{ wait_for /tmp/c3.out "handshake ok"; echo "one"; wait_for /tmp/c3.out "got: one"
  echo "^rekey^"; wait_for /tmp/c3.out "key update received 1"
  echo "two UPDATE"; wait_for /tmp/c3.out "got: two UPDATE"
  echo "^rekey1^"; wait_for /tmp/c3.out "key update received 2"; sleep 1
  echo "three BYE"; sleep 2; } |
	$GNUTLS_CLI 127.0.0.1 --port 4433 --x509cafile $C/ca.pem --sni-hostname server.test \
		--verify-hostname server.test --inline-commands >/tmp/s3.out 2>&1
wait
check "gnutls-cli ^rekey^/^rekey1^ -> our server (kTLS)" /tmp/c3.out "offload tx+rx" "got: one" \
	"got: two UPDATE" "got: three BYE" "key_updates_received=[2-9]" "key_updates_sent=[1-9]"
check "  ... gnutls-cli got our echoes after every update" /tmp/s3.out "echo:one" "echo:three BYE"

echo "keyupdate interop: $fail failed"
[ "$fail" = 0 ]
