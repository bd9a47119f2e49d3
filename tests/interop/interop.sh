#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Interop against real TLS 1.3 peers on loopback, userspace record layer:
#   interop.sh openssl|gnutls|mlkem KTLS_PEER CERTDIR
# Our client against the peer's server and our server against the peer's
# client, for every suite x group both support, plus HelloRetryRequest, ALPN,
# SNI, mutual TLS, tickets, and the refusals (name, expiry, trust).
set -uo pipefail
peer=$1 bin=$2 certs=$3
. "$(dirname "$0")/../skip.sh"
# mlkem: X25519MLKEM768 with sid's OpenSSL 3.6, our build run against sid's
# libcrypto (which has ML-KEM) and against Debian 12's (which has not).
ours_with=() # a loader and its library path, to run ktls_peer with another libcrypto
if [ "$peer" = mlkem ]; then
	sid=$("$(dirname "$0")/../vm/userland.sh" sid) || test_skip "cannot unpack sid's OpenSSL"
	R=$sid/root
	sid_ld=$(ls "$R"/usr/lib64/ld-linux-x86-64.so.2 "$R"/lib64/ld-linux-x86-64.so.2 2>/dev/null | head -1)
	export OPENSSL_CONF=$R/etc/ssl/openssl.cnf OPENSSL_MODULES=$R/usr/lib/x86_64-linux-gnu/ossl-modules
	sid_run=("$sid_ld" --library-path "$R/usr/lib/x86_64-linux-gnu:$R/lib/x86_64-linux-gnu")
else
	command -v "$([ "$peer" = openssl ] && echo openssl || echo gnutls-serv)" >/dev/null ||
		test_skip "$peer command-line tools are not installed"
fi
work=$(mktemp -d)
srv_pid=""
cleanup() { [ -n "$srv_pid" ] && kill "$srv_pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
# Below the ephemeral range (32768-60999 here), where no client's source port
# can hold the one a server wants.
port=$((10000 + $$ % 15000))
pass=0 fail=0

wait_listen() { # port: an IPv4 listener (gnutls-serv binds IPv6 first, then IPv4)
	# Up to 30 s: a loaded CI machine (sanitizers, two VMs) starts peers
	# slowly; a server that died is not waited for.
	for _ in $(seq 600); do
		ss -Hltn "sport = :$1" | grep -Eq "(0\.0\.0\.0|127\.0\.0\.1|\*):$1 " && return 0
		kill -0 "$srv_pid" 2>/dev/null || return 1
		sleep 0.05
	done
	return 1
}
next_port() { # the next port no socket uses (other runs may share the machine)
	port=$((port + 1))
	while [ -n "$(ss -Htan "sport = :$port")" ]; do port=$((port + 1)); done
}
stop_server() { [ -n "$srv_pid" ] && { kill "$srv_pid" 2>/dev/null; wait "$srv_pid" 2>/dev/null; }; srv_pid=""; }
result() { # name ok(0/1) detail
	if [ "$2" = 0 ]; then
		pass=$((pass + 1))
		echo "ok - $1"
	else
		fail=$((fail + 1))
		echo "not ok - $1"
		sed 's/^/    /' "$work/out" | head -20
	fi
}
# client_case NAME GREP-PATTERN -- server command... -- ktls_peer client args...
# Starts the peer's server, runs our client, and requires the pattern in
# our client's output.
client_case() {
	local name=$1 pattern=$2
	shift 3
	local srv=()
	while [ "$1" != -- ]; do srv+=("$1"); shift; done
	shift
	next_port
	"${srv[@]//PORT/$port}" >"$work/srv" 2>&1 &
	srv_pid=$!
	wait_listen "$port" || { { echo "server did not start: ${srv[*]}"; cat "$work/srv"; } >"$work/out"; result "$name" 1; stop_server; return; }
	timeout 20 "${ours_with[@]}" "$bin" client 127.0.0.1 "$port" "$@" >"$work/out" 2>&1
	grep -Eq -- "$pattern" "$work/out"
	result "$name" $?
	stop_server
}
# server_case NAME GREP-PATTERN-ON-OUR-SIDE PEER-PATTERN -- ktls_peer server args -- client command...
server_case() {
	local name=$1 pattern=$2 ppattern=$3
	shift 4
	local ours=()
	while [ "$1" != -- ]; do ours+=("$1"); shift; done
	shift
	next_port
	timeout 20 "${ours_with[@]}" "$bin" server "$port" "${ours[@]}" >"$work/ours" 2>&1 &
	srv_pid=$!
	wait_listen "$port" || { cat "$work/ours" >"$work/out"; result "$name" 1; stop_server; return; }
	printf 'hello\n' | timeout 20 "${@//PORT/$port}" >"$work/peer" 2>&1
	wait "$srv_pid" 2>/dev/null
	srv_pid=""
	{ echo "--- ours"; cat "$work/ours"; echo "--- peer"; cat "$work/peer"; } >"$work/out"
	grep -Eq -- "$pattern" "$work/ours" && grep -Eq -- "$ppattern" "$work/peer"
	result "$name" $?
}

# resume_client NAME -- server command...: our client twice against one
# server, the second offering the session the first was given.
resume_client() {
	local name=$1
	shift 2
	next_port
	"${@//PORT/$port}" >"$work/srv" 2>&1 &
	srv_pid=$!
	wait_listen "$port" || { echo "server did not start: $*" >"$work/out"; result "$name" 1; stop_server; return; }
	local expect=$([ "$peer" = openssl ] && echo "sltk morf olleh" || echo "hello from ktls")
	timeout 20 "$bin" client 127.0.0.1 "$port" --ca "$certs/ca.pem" --sni server.test \
		--sess-out "$work/sess.bin" --expect "$expect" >"$work/out1" 2>&1
	timeout 20 "$bin" client 127.0.0.1 "$port" --ca "$certs/ca.pem" --sni server.test \
		--sess-in "$work/sess.bin" --expect "$expect" >"$work/out2" 2>&1
	cat "$work/out1" "$work/out2" >"$work/out"
	grep -q "resumed=0" "$work/out1" && grep -q "resumed=1" "$work/out2" && grep -q "$expect" "$work/out2"
	result "$name" $?
	stop_server
}
# resume_server NAME PEER-PATTERN -- client commands (run by resume_run):
# our server for two connections; PEER-PATTERN must show the peer resumed.
# gnutls-cli waits only briefly for a TLS 1.3 ticket before it reconnects:
# on a loaded machine it can give up first ("Error in the pull function")
# and then leave its first connection open; such a try is made again, up
# to three times (a server that never sends tickets still fails all three).
resume_server() {
	local name=$1 ppattern=$2 ok=1
	shift 3
	for try in 1 2 3; do
		next_port
		timeout 40 "$bin" server "$port" --cert "$certs/server-ecdsa256.pem" \
			--key "$certs/server-ecdsa256.key" --tickets 2 --accept 2 >"$work/ours" 2>&1 &
		srv_pid=$!
		wait_listen "$port" || { cat "$work/ours" >"$work/out"; result "$name" 1; stop_server; return; }
		PORT=$port "$@" >"$work/peer" 2>&1
		# Our server ends with the peer's second connection; one stuck on
		# a connection the peer left open is stopped.
		for _ in $(seq 50); do kill -0 "$srv_pid" 2>/dev/null || break; sleep 0.1; done
		stop_server
		{ echo "--- ours (try $try)"; cat "$work/ours"; echo "--- peer"; cat "$work/peer"; } >"$work/out"
		grep -q "resumed=1" "$work/ours" && grep -Eq -- "$ppattern" "$work/peer" && { ok=0; break; }
		grep -q "Error in the pull function" "$work/peer" || break
		echo "# $name: the peer gave up waiting for the ticket (try $try)"
	done
	result "$name" $ok
}
openssl_resume() { # s_client twice: the session saved, then offered
	printf 'hello\n' | timeout 20 openssl s_client -tls1_3 -connect "127.0.0.1:$PORT" -CAfile "$certs/ca.pem" \
		-servername server.test -quiet -sess_out "$work/s.pem"
	sleep 0.2
	printf 'hello\n' | timeout 20 openssl s_client -tls1_3 -connect "127.0.0.1:$PORT" -CAfile "$certs/ca.pem" \
		-servername server.test -sess_in "$work/s.pem" 2>&1 | grep -E "Reused|New,|ktls:"
}
gnutls_resume() { # gnutls-cli makes both connections itself
	# Its input only once the second handshake is done: input that comes
	# while it is between the two connections breaks its first one.
	rm -f "$work/fifo" && mkfifo "$work/fifo"
	timeout 20 gnutls-cli 127.0.0.1 --port "$PORT" --x509cafile "$certs/ca.pem" \
		--sni-hostname server.test --verify-hostname server.test --resume \
		<"$work/fifo" >"$work/gnutls-out" 2>&1 &
	local cli=$!
	exec 8>"$work/fifo"
	for _ in $(seq 200); do
		grep -q "Resume Handshake was completed\|Fatal error" "$work/gnutls-out" && break
		sleep 0.1
	done
	(printf 'hello\n' >&8) 2>/dev/null || true # it may be gone already
	exec 8>&-
	wait "$cli"
	cat "$work/gnutls-out"
}

# export_case NAME ROLE SUITE -- peer command...: our end (ROLE client or
# server) and the peer print the exporter's output for one label; equal.
export_case() {
	local name=$1 role=$2 suite=$3
	shift 4
	next_port
	local ours=(--export "EXPERIMENTAL-ktls:32" --suite "$suite")
	if [ "$role" = client ]; then
		"${@//PORT/$port}" >"$work/srv" 2>&1 &
		srv_pid=$!
		wait_listen "$port" || { echo "server did not start" >"$work/out"; result "$name" 1; stop_server; return; }
		timeout 20 "$bin" client 127.0.0.1 "$port" --ca "$certs/ca.pem" --sni server.test "${ours[@]}" \
			--expect "reply-from-peer" >"$work/ours" 2>&1
		sleep 0.3
		stop_server
		cp "$work/srv" "$work/peer"
	else
		timeout 20 "$bin" server "$port" --cert "$certs/server-ecdsa256.pem" \
			--key "$certs/server-ecdsa256.key" "${ours[@]}" >"$work/ours" 2>&1 &
		srv_pid=$!
		wait_listen "$port" || { cat "$work/ours" >"$work/out"; result "$name" 1; stop_server; return; }
		printf 'hello\n' | timeout 20 "${@//PORT/$port}" >"$work/peer" 2>&1
		wait "$srv_pid" 2>/dev/null
		srv_pid=""
	fi
	local a b
	a=$(sed -n 's/^exporter: \([0-9A-F]*\)$/\1/p' "$work/ours")
	b=$(grep -iE "Keying material: |Key material: " "$work/peer" | sed 's/.*: //' | tr a-f A-F | head -1)
	{ echo "ours: $a"; echo "peer: $b"; cat "$work/ours" "$work/peer"; } >"$work/out"
	[ -n "$a" ] && [ ${#a} = 64 ] && [ "$a" = "$b" ]
	result "$name" $?
}

C=$certs
suites=(1301 1302 1303 1304)
groups=(001d 0017 0018 0019 001e)
if [ "$peer" = mlkem ]; then
	sopts=(-tls1_3 -naccept 1 -quiet -accept PORT -rev -cert "$C/server-ecdsa256.pem" -key "$C/server-ecdsa256.key")
	copts=(-tls1_3 -connect 127.0.0.1:PORT -CAfile "$C/ca.pem" -verify_return_error -servername server.test)
	# Where ML-KEM is there (sid's libcrypto under us): the hybrid, both
	# roles, against a peer that offers it by default.
	ours_with=("${sid_run[@]}")
	client_case "client (ML-KEM) -> sid s_server: X25519MLKEM768" "handshake ok .*group=11ec" -- \
		"${sid_run[@]}" "$R/usr/bin/openssl" s_server "${sopts[@]}" -- \
		--ca "$C/ca.pem" --sni server.test --expect "sltk morf olleh"
	server_case "sid s_client -> server (ML-KEM): X25519MLKEM768" "group=11ec" \
		"Negotiated TLS1.3 group: X25519MLKEM768" -- \
		--cert "$C/server-ecdsa256.pem" --key "$C/server-ecdsa256.key" -- \
		"${sid_run[@]}" "$R/usr/bin/openssl" s_client "${copts[@]}"
	# Where it is not (Debian 12's libcrypto): not offered, and a client
	# that offers it is served over its X25519 share.
	ours_with=()
	client_case "client (no ML-KEM) -> sid s_server: X25519" "handshake ok .*group=001d" -- \
		"${sid_run[@]}" "$R/usr/bin/openssl" s_server "${sopts[@]}" -- \
		--ca "$C/ca.pem" --sni server.test --expect "sltk morf olleh"
	server_case "sid s_client -> server (no ML-KEM): X25519" "group=001d" \
		"(Peer|Server) Temp Key: X25519," -- \
		--cert "$C/server-ecdsa256.pem" --key "$C/server-ecdsa256.key" -- \
		"${sid_run[@]}" "$R/usr/bin/openssl" s_client "${copts[@]}"
elif [ "$peer" = openssl ]; then
	declare -A osuite=([1301]=TLS_AES_128_GCM_SHA256 [1302]=TLS_AES_256_GCM_SHA384
		[1303]=TLS_CHACHA20_POLY1305_SHA256 [1304]=TLS_AES_128_CCM_SHA256)
	declare -A ogroup=([001d]=X25519 [0017]=P-256 [0018]=P-384 [0019]=P-521 [001e]=X448)
	sopts=(-tls1_3 -naccept 1 -quiet -accept PORT)
	copts=(-tls1_3 -quiet -connect 127.0.0.1:PORT -CAfile "$C/ca.pem" -verify_return_error)
	for s in "${suites[@]}"; do for g in "${groups[@]}"; do
		client_case "client $s/$g -> s_server" "handshake ok suite=$s group=$g.*" -- \
			openssl s_server "${sopts[@]}" -rev -cert "$C/server-ecdsa256.pem" -key "$C/server-ecdsa256.key" \
			-ciphersuites "${osuite[$s]}" -groups "${ogroup[$g]}" -- \
			--ca "$C/ca.pem" --sni server.test --suite "$s" --group "$g" --send $'interop\n' --expect "poretni"
		server_case "s_client $s/$g -> server" "handshake ok suite=$s group=$g" "ktls:hello" -- \
			--cert "$C/server-ecdsa256.pem" --key "$C/server-ecdsa256.key" -- \
			openssl s_client "${copts[@]}" -servername server.test -ciphersuites "${osuite[$s]}" -groups "${ogroup[$g]}"
	done; done
	for t in ecdsa256:0403 ecdsa384:0503 ecdsa521:0603 rsa:0804 rsapss:0809 rsapss:080a \
		rsapss:080b ed25519:0807 ed448:0808; do
		client_case "client sigalg ${t#*:} -> s_server" "handshake ok .*sigalg=${t#*:}" -- \
			openssl s_server "${sopts[@]}" -rev -cert "$C/server-${t%:*}.pem" -key "$C/server-${t%:*}.key" -- \
			--ca "$C/ca.pem" --sni server.test --sigalg "${t#*:}" --expect "sltk morf olleh"
		server_case "s_client sigalg ${t#*:} -> server" "sigalg=${t#*:}" "ktls:hello" -- \
			--cert "$C/server-${t%:*}.pem" --key "$C/server-${t%:*}.key" --sigalg "${t#*:}" -- \
			openssl s_client "${copts[@]}" -servername server.test
	done
	client_case "client HRR -> s_server (P-384 only)" "hrr=1" -- \
		openssl s_server "${sopts[@]}" -rev -cert "$C/server-ecdsa256.pem" -key "$C/server-ecdsa256.key" -groups P-384 -- \
		--ca "$C/ca.pem" --sni server.test --expect "sltk morf olleh"
	server_case "s_client -> server HRR (P-384 only)" "hrr=1 .*" "ktls:hello" -- \
		--cert "$C/server-ecdsa256.pem" --key "$C/server-ecdsa256.key" --group 0018 -- \
		openssl s_client "${copts[@]}" -servername server.test
	client_case "client ALPN -> s_server" "alpn=http/1.1" -- \
		openssl s_server "${sopts[@]}" -rev -cert "$C/server-ecdsa256.pem" -key "$C/server-ecdsa256.key" -alpn http/1.1 -- \
		--ca "$C/ca.pem" --sni server.test --alpn h2,http/1.1 --expect "sltk morf olleh"
	server_case "s_client ALPN -> server" "alpn=h2" "ktls:hello" -- \
		--cert "$C/server-ecdsa256.pem" --key "$C/server-ecdsa256.key" --alpn h2,http/1.1 -- \
		openssl s_client "${copts[@]}" -servername server.test -alpn h2
	client_case "client mTLS -> s_server -Verify" "handshake ok" -- \
		openssl s_server "${sopts[@]}" -rev -cert "$C/server-rsa.pem" -key "$C/server-rsa.key" -Verify 1 -CAfile "$C/ca.pem" -verify_return_error -- \
		--ca "$C/ca.pem" --sni server.test --cert "$C/client.pem" --key "$C/client.key" --expect "sltk morf olleh"
	server_case "s_client mTLS -> server (required)" "peer_cert=yes" "ktls:hello" -- \
		--cert "$C/server-ecdsa256.pem" --key "$C/server-ecdsa256.key" --ca "$C/ca.pem" --verify require -- \
		openssl s_client "${copts[@]}" -servername server.test -cert "$C/client.pem" -key "$C/client.key"
	server_case "s_client without cert -> server (required): certificate_required" \
		"sent alert certificate_required" "." -- \
		--cert "$C/server-ecdsa256.pem" --key "$C/server-ecdsa256.key" --ca "$C/ca.pem" --verify require -- \
		openssl s_client "${copts[@]}" -servername server.test
	server_case "s_client SNI other.test -> server picks that certificate" "sni=other.test" "ktls:hello" -- \
		--cert "$C/server-ecdsa256.pem" --key "$C/server-ecdsa256.key" --cert "$C/server-other.pem" --key "$C/server-other.key" -- \
		openssl s_client "${copts[@]}" -servername other.test -verify_hostname other.test
	client_case "client receives s_server's NewSessionTickets" "tickets: [1-9]" -- \
		openssl s_server "${sopts[@]}" -rev -cert "$C/server-ecdsa256.pem" -key "$C/server-ecdsa256.key" -- \
		--ca "$C/ca.pem" --sni server.test --expect "sltk morf olleh"
	server_case "server tickets -> s_client stores a session" "handshake ok" "ktls:hello" -- \
		--cert "$C/server-ecdsa256.pem" --key "$C/server-ecdsa256.key" --tickets 2 -- \
		openssl s_client "${copts[@]}" -servername server.test -sess_out "$work/sess"
	grep -q "SSL SESSION" "$work/sess" 2>/dev/null; result "s_client saved our ticket as a session" $?
	for s in "${suites[@]}"; do
		export_case "exporter $s: client = s_server" client "$s" -- \
			sh -c "(sleep 1; echo reply-from-peer) | exec openssl s_server -tls1_3 -naccept 1 -accept PORT \
			-cert '$C/server-ecdsa256.pem' -key '$C/server-ecdsa256.key' -ciphersuites ${osuite[$s]} \
			-keymatexport EXPERIMENTAL-ktls -keymatexportlen 32"
		export_case "exporter $s: server = s_client" server "$s" -- \
			openssl s_client -tls1_3 -connect 127.0.0.1:PORT -CAfile "$C/ca.pem" -servername server.test \
			-ciphersuites "${osuite[$s]}" -keymatexport EXPERIMENTAL-ktls -keymatexportlen 32
	done
	resume_client "client resumes at s_server" -- \
		openssl s_server -tls1_3 -naccept 2 -quiet -accept PORT -rev \
		-cert "$C/server-ecdsa256.pem" -key "$C/server-ecdsa256.key"
	resume_server "s_client resumes at our server" "^Reused, TLSv1.3" -- openssl_resume
	for bad in "server-ecdsa256:wrong.test:bad_certificate" "expired:server.test:certificate_expired" \
		"untrusted:server.test:unknown_ca"; do
		IFS=: read -r cert name alert <<<"$bad"
		client_case "client refuses $cert for $name: $alert" "sent alert $alert" -- \
			openssl s_server "${sopts[@]}" -rev -cert "$C/$cert.pem" -key "$C/$cert.key" -- \
			--ca "$C/ca.pem" --sni "$name"
	done
else
	declare -A gsuite=([1301]=AES-128-GCM [1302]=AES-256-GCM [1303]=CHACHA20-POLY1305 [1304]=AES-128-CCM)
	declare -A ggroup=([001d]=X25519 [0017]=SECP256R1 [0018]=SECP384R1 [0019]=SECP521R1 [001e]=X448)
	prio() { echo "NORMAL:-VERS-ALL:+VERS-TLS1.3:-CIPHER-ALL:+$1:-GROUP-ALL:+GROUP-$2"; }
	sopts=(--port PORT --echo --quiet --disable-client-cert)
	copts=(127.0.0.1 --port PORT --x509cafile "$C/ca.pem" --sni-hostname server.test --verify-hostname server.test)
	for s in "${suites[@]}"; do for g in "${groups[@]}"; do
		client_case "client $s/$g -> gnutls-serv" "handshake ok suite=$s group=$g" -- \
			gnutls-serv "${sopts[@]}" --x509certfile "$C/server-ecdsa256.pem" --x509keyfile "$C/server-ecdsa256.key" \
			--priority "$(prio "${gsuite[$s]}" "${ggroup[$g]}")" -- \
			--ca "$C/ca.pem" --sni server.test --suite "$s" --group "$g" --send $'interop\n' --expect "interop"
		server_case "gnutls-cli $s/$g -> server" "handshake ok suite=$s group=$g" "ktls:hello" -- \
			--cert "$C/server-ecdsa256.pem" --key "$C/server-ecdsa256.key" -- \
			gnutls-cli "${copts[@]}" --priority "$(prio "${gsuite[$s]}" "${ggroup[$g]}")"
	done; done
	for t in ecdsa256:0403 ecdsa384:0503 ecdsa521:0603 rsa:0804 rsapss:0809 rsapss:080a \
		rsapss:080b ed25519:0807 ed448:0808; do
		client_case "client sigalg ${t#*:} -> gnutls-serv" "handshake ok .*sigalg=${t#*:}" -- \
			gnutls-serv "${sopts[@]}" --x509certfile "$C/server-${t%:*}.pem" --x509keyfile "$C/server-${t%:*}.key" -- \
			--ca "$C/ca.pem" --sni server.test --sigalg "${t#*:}" --expect "hello from ktls"
		server_case "gnutls-cli sigalg ${t#*:} -> server" "sigalg=${t#*:}" "ktls:hello" -- \
			--cert "$C/server-${t%:*}.pem" --key "$C/server-${t%:*}.key" --sigalg "${t#*:}" -- \
			gnutls-cli "${copts[@]}"
	done
	client_case "client HRR -> gnutls-serv (P-384 only)" "hrr=1" -- \
		gnutls-serv "${sopts[@]}" --x509certfile "$C/server-ecdsa256.pem" --x509keyfile "$C/server-ecdsa256.key" \
		--priority "NORMAL:-VERS-ALL:+VERS-TLS1.3:-GROUP-ALL:+GROUP-SECP384R1" -- \
		--ca "$C/ca.pem" --sni server.test --expect "hello from ktls"
	server_case "gnutls-cli -> server HRR (P-384 only)" "hrr=1" "ktls:hello" -- \
		--cert "$C/server-ecdsa256.pem" --key "$C/server-ecdsa256.key" --group 0018 -- \
		gnutls-cli "${copts[@]}"
	client_case "client ALPN -> gnutls-serv" "alpn=http/1.1" -- \
		gnutls-serv "${sopts[@]}" --x509certfile "$C/server-ecdsa256.pem" --x509keyfile "$C/server-ecdsa256.key" --alpn http/1.1 -- \
		--ca "$C/ca.pem" --sni server.test --alpn h2,http/1.1 --expect "hello from ktls"
	server_case "gnutls-cli ALPN -> server" "alpn=http/1.1" "ktls:hello" -- \
		--cert "$C/server-ecdsa256.pem" --key "$C/server-ecdsa256.key" --alpn h2,http/1.1 -- \
		gnutls-cli "${copts[@]}" --alpn http/1.1
	client_case "client mTLS -> gnutls-serv --require-client-cert" "handshake ok" -- \
		gnutls-serv --port PORT --echo --quiet --require-client-cert --verify-client-cert --x509cafile "$C/ca.pem" \
		--x509certfile "$C/server-rsa.pem" --x509keyfile "$C/server-rsa.key" -- \
		--ca "$C/ca.pem" --sni server.test --cert "$C/client.pem" --key "$C/client.key" --expect "hello from ktls"
	server_case "gnutls-cli mTLS -> server (required)" "peer_cert=yes" "ktls:hello" -- \
		--cert "$C/server-ecdsa256.pem" --key "$C/server-ecdsa256.key" --ca "$C/ca.pem" --verify require -- \
		gnutls-cli "${copts[@]}" --x509certfile "$C/client.pem" --x509keyfile "$C/client.key"
	for s in "${suites[@]}"; do
		export_case "exporter $s: server = gnutls-cli" server "$s" -- \
			gnutls-cli "${copts[@]}" --priority "$(prio "${gsuite[$s]}" X25519)" \
			--keymatexport EXPERIMENTAL-ktls --keymatexportsize 32
	done
	resume_client "client resumes at gnutls-serv" -- \
		gnutls-serv "${sopts[@]}" --x509certfile "$C/server-ecdsa256.pem" --x509keyfile "$C/server-ecdsa256.key"
	resume_server "gnutls-cli --resume at our server" "This is a resumed session" -- gnutls_resume
	server_case "gnutls-cli SNI other.test -> server picks that certificate" "sni=other.test" "ktls:hello" -- \
		--cert "$C/server-ecdsa256.pem" --key "$C/server-ecdsa256.key" --cert "$C/server-other.pem" --key "$C/server-other.key" -- \
		gnutls-cli 127.0.0.1 --port PORT --x509cafile "$C/ca.pem" --sni-hostname other.test --verify-hostname other.test
	for bad in "server-ecdsa256:wrong.test:bad_certificate" "expired:server.test:certificate_expired" \
		"untrusted:server.test:unknown_ca"; do
		IFS=: read -r cert name alert <<<"$bad"
		client_case "client refuses $cert for $name: $alert" "sent alert $alert" -- \
			gnutls-serv "${sopts[@]}" --x509certfile "$C/$cert.pem" --x509keyfile "$C/$cert.key" -- \
			--ca "$C/ca.pem" --sni "$name"
	done
fi
echo "interop $peer: $pass passed, $fail failed"
[ "$fail" = 0 ]
