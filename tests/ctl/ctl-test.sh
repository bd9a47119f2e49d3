#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# ktls-ctl's sub-commands: serve against curl, openssl s_client and
# ktls-ctl get (byte-exact files, sequential and concurrent, key updates from
# both sides, Range, HEAD, keep-alive, conditional requests, exact framing,
# refusals that keep the server serving, a SIGTERM drain), get against
# servers that send what they should not (chunked, repeated lengths, bodies
# cut short), bench, and the command-line manners (--help, --version, exit
# codes). Runs on the host (userspace record layer; there, status must say
# plainly that there is no kTLS) and in the VM over kTLS, where it also
# checks list and status against a live transfer:
#   ctl-test.sh CERTDIR [vm]
# ktls-ctl, curl and openssl come from PATH; on the host, KTLS_HTTP_PEER
# names tests/ctl/http_peer. POSIX sh: busybox runs it.
set -u
C=$1
mode=${2:-host}
T=$(mktemp -d /tmp/ktls-ctl-test.XXXXXX)
W=$T/www
fail=0
ok() { echo "ok - $*"; }
bad() {
	echo "not ok - $*"
	fail=1
	return 1
}
check() { # check DESCRIPTION COMMAND...: ok if the command succeeds
	d=$1
	shift
	if "$@"; then ok "$d"; else bad "$d"; fi
}

# Command-line manners: --version, --help for each command, exit code 2 for
# a bad command line, errors on stderr.
check "--version" sh -c "ktls-ctl --version | grep -q '^ktls-ctl [0-9]'"
for c in status list serve get bench demo; do
	check "$c --help" sh -c "ktls-ctl $c --help | grep -q usage"
done
ktls-ctl get --no-such-option https://x/ >/dev/null 2>"$T/usage.err"
check "bad option: exit 2, named on stderr" sh -c "[ $? = 2 ] && grep -q no-such-option $T/usage.err"
ktls-ctl frobnicate >/dev/null 2>&1
check "unknown command: exit 2" [ $? = 2 ]
ktls-ctl get -q --cafile "$C/ca.pem" https://127.0.0.1:1/x >/dev/null 2>"$T/refused.err"
check "get, nothing listening: exit 1, cause named" sh -c "[ $? = 1 ] && grep -q 'Connection refused' $T/refused.err"

mkdir -p "$W/sub" "$W/noindex"
dd if=/dev/urandom of="$W/big.bin" bs=1024 count=4096 2>/dev/null
dd if=/dev/urandom of="$W/mid.bin" bs=1000 count=700 2>/dev/null
echo "<h1>hello</h1>" >"$W/index.html"
printf 'small\n' >"$W/sub/small.txt"
: >"$W/empty.txt"
echo "TOP-SECRET-OUTSIDE-ROOT" >"$T/secret.txt"
ln -s "$T/secret.txt" "$W/escape"

ktls-ctl serve --port 0 --cert "$C/server-ecdsa256.pem" --key "$C/server-ecdsa256.key" \
	--key-update-bytes 512K "$W" >"$T/access.log" 2>"$T/serve.err" &
srv=$!
port=""
for _ in $(seq 1 100); do
	port=$(sed -n 's/.*listening on https:\/\/\[.*\]:\([0-9]*\)\/.*/\1/p' "$T/serve.err")
	[ -n "$port" ] && break
	sleep 0.1
done
[ -n "$port" ] || {
	echo "not ok - the server did not start:"
	cat "$T/serve.err"
	exit 1
}
U=https://127.0.0.1:$port
CURL="curl -sS --cacert $C/ca.pem"
GET="ktls-ctl get -q --cafile $C/ca.pem"

same() { cmp -s "$1" "$2"; }

# Sequential: every file through both clients, each client fetching all of
# them over one keep-alive connection (get writes the bodies one after another).
files="big.bin mid.bin index.html sub/small.txt empty.txt"
args="" urls="" n=0
for f in $files; do
	n=$((n + 1))
	args="$args -o $T/c$n.out $U/$f"
	urls="$urls $U/$f"
done
$CURL $args
n=0
for f in $files; do
	n=$((n + 1))
	check "curl $f byte-exact" cmp -s "$T/c$n.out" "$W/$f"
done
(cd "$W" && cat $files) >"$T/all.want"
check "get: the 5 files on one connection, byte-exact" sh -c "$GET -o $T/g.out $urls && cmp -s $T/g.out $T/all.want"
check "a directory serves its index.html" sh -c "$CURL -o $T/i.out $U/ && cmp -s $T/i.out $W/index.html"

# Concurrent: 4 curl and 4 get at once, the get ones asking for key updates.
pids=""
for i in 1 2 3 4; do
	$CURL -o "$T/cc$i" "$U/big.bin" &
	pids="$pids $!"
	$GET --request-key-update 1M -o "$T/gg$i" "$U/big.bin" &
	pids="$pids $!"
done
for p in $pids; do wait "$p" || bad "a concurrent client failed"; done
want=$(sha256sum <"$W/big.bin")
n=0
for f in "$T"/cc? "$T"/gg?; do
	if [ "$(sha256sum <"$f")" = "$want" ]; then
		n=$((n + 1))
	else
		echo "# $f: $(wc -c <"$f") bytes, checksum differs"
	fi
done
check "8 concurrent downloads, all 8 checksums right" [ "$n" = 8 ]

# Range, HEAD, keep-alive.
dd if="$W/mid.bin" of="$T/r.want" bs=1 skip=1000 count=500 2>/dev/null
check "Range bytes=1000-1499" sh -c "$CURL -r 1000-1499 -o $T/r.out $U/mid.bin && cmp -s $T/r.out $T/r.want"
check "Range status 206" [ "$($CURL -r 0-0 -o /dev/null -w '%{http_code}' "$U/mid.bin")" = 206 ]
check "Range past the end: 416" [ "$($CURL -r 900000- -o /dev/null -w '%{http_code}' "$U/mid.bin")" = 416 ]
$CURL -I "$U/mid.bin" >"$T/head.out"
check "HEAD gives the length, no body" grep -q "Content-Length: 700000" "$T/head.out"
check "keep-alive: two requests, one connection" \
	[ "$($CURL -o /dev/null -o /dev/null -w '%{num_connects}' "$U/index.html" "$U/sub/small.txt")" = 10 ]

# Refusals: the right status, nothing from outside the root, and the server
# keeps serving.
code() { $CURL -s -o "$T/refused" -w '%{http_code}' "$@"; }
check "path traversal: 403" [ "$(code --path-as-is "$U/../../../etc/passwd")" = 403 ]
check "encoded traversal: 403" [ "$(code --path-as-is "$U/sub/%2e%2e/%2e%2e/x")" = 403 ]
check "symlink out of the root: 403" [ "$(code "$U/escape")" = 403 ]
check "missing file: 404" [ "$(code "$U/nope")" = 404 ]
check "directory without index: 403" [ "$(code "$U/noindex/")" = 403 ]
check "POST: 405" [ "$(code -X POST "$U/")" = 405 ]
check "NUL in the path: 400" [ "$(code "$U/a%00b")" = 400 ]
check "no secret in any answer" sh -c "! grep -q TOP-SECRET $T/refused"
printf 'GARBAGE\r\n\r\n' | openssl s_client -quiet -connect "127.0.0.1:$port" \
	-CAfile "$C/ca.pem" >"$T/garbage.out" 2>/dev/null
check "malformed request line: 400" grep -q "HTTP/1.1 400 Bad Request" "$T/garbage.out"
printf 'GET / HTTP/1.1\r\nHost: x\r\n\r\nGET /sub/small.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' |
	openssl s_client -quiet -connect "127.0.0.1:$port" -CAfile "$C/ca.pem" >"$T/pipe.out" 2>/dev/null
check "two pipelined requests, two answers" [ "$(grep -c "HTTP/1.1 200 OK" "$T/pipe.out")" = 2 ]
# Framing (RFC 9112): no body on GET, one length, no unknown codings; empty
# lines before a request are passed over.
check "GET with a body (Content-Length: 5): 400" [ "$(code -H 'Content-Length: 5' "$U/")" = 400 ]
check "GET with a body (chunked): 400" [ "$(code -H 'Transfer-Encoding: chunked' "$U/")" = 400 ]
check "an unknown transfer coding: 501" [ "$(code -H 'Transfer-Encoding: foo' "$U/")" = 501 ]
check "two Content-Length fields: 400" [ "$(code -H 'Content-Length: 0' -H 'Content-Length: 0' "$U/")" = 400 ]
printf '\r\n\r\nGET /sub/small.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' |
	openssl s_client -quiet -connect "127.0.0.1:$port" -CAfile "$C/ca.pem" >"$T/crlf.out" 2>/dev/null
check "empty lines before the request line: served" grep -q "HTTP/1.1 200 OK" "$T/crlf.out"
# Conditional requests; an index's type is that of index.html.
$CURL -D "$T/h.out" -o /dev/null "$U/"
etag=$(sed -n 's/^ETag: \(".*"\)\r*$/\1/p' "$T/h.out")
check "index served as text/html" grep -q "Content-Type: text/html" "$T/h.out"
check "an ETag and a Last-Modified" sh -c "[ -n '$etag' ] && grep -q '^Last-Modified: ' $T/h.out"
check "If-None-Match with the tag: 304" [ "$(code -H "If-None-Match: W/$etag" "$U/")" = 304 ]
check "If-None-Match with another tag: 200" [ "$(code -H 'If-None-Match: "x"' "$U/")" = 200 ]
# (-H, not curl -z: curl itself reports 304 for a 200 it finds not newer.)
lm=$(sed -n 's/^Last-Modified: \(.*GMT\)\r*$/\1/p' "$T/h.out")
check "If-Modified-Since its Last-Modified: 304" [ "$(code -H "If-Modified-Since: $lm" "$U/")" = 304 ]
check "If-Modified-Since before it: 200" [ "$(code -H 'If-Modified-Since: Sat, 01 Jan 2000 00:00:00 GMT' "$U/")" = 200 ]
check "If-Range with another tag: the whole file" [ "$(code -r 0-9 -H 'If-Range: "old"' "$U/mid.bin")" = 200 ]
check "still serving after the refusals" sh -c "$GET -o $T/after $U/mid.bin && cmp -s $T/after $W/mid.bin"

ktls-ctl bench --size 2M --rounds 1 --key-update-bytes 512K >"$T/bench.out" 2>&1
brc=$?
cat "$T/bench.out"
check "bench: the userspace rows, with key updates" grep -Eq "^userspace \+ updates +[0-9.]+ .* [1-9][0-9]*$" "$T/bench.out"
if [ "$mode" = host ]; then
	# On a terminal get draws a progress bar (script(1) gives it a pty).
	if command -v script >/dev/null; then
		script -qec "ktls-ctl get --cafile $C/ca.pem -o $T/tty.out $U/big.bin" /dev/null >"$T/tty.log" 2>&1
		check "get on a terminal: progress bar" sh -c "grep -q 'MiB/s  key updates' $T/tty.log && grep -q '100%' $T/tty.log"
	fi
	if [ -n "${KTLS_HTTP_PEER:-}" ]; then
		# get against a server sending this response, then ending with
		# close_notify (notify) or without (cut); get's status in $?.
		peer() {
			printf "$2" >"$T/peer.resp"
			"$KTLS_HTTP_PEER" "$C/server-ecdsa256.pem" "$C/server-ecdsa256.key" \
				"$T/peer.resp" "$1" >"$T/peer.port" &
			pp=$!
			for _ in $(seq 1 50); do [ -s "$T/peer.port" ] && break; sleep 0.1; done
			$GET -o "$T/peer.out" "https://127.0.0.1:$(cat "$T/peer.port")/x" 2>"$T/peer.err"
			r=$?
			wait "$pp"
			rm -f "$T/peer.port"
			return $r
		}
		peer notify 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6;x=y\r\n world\r\n0\r\nT: v\r\n\r\n'
		check "get: a chunked body, decoded" sh -c "[ $? = 0 ] && [ \"\$(cat $T/peer.out)\" = 'hello world' ]"
		peer cut 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n'
		check "get: a chunked body without its last chunk: exit 1" sh -c "[ $? = 1 ] && grep -q 'cut short' $T/peer.err"
		peer cut 'HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhello'
		check "get: Content-Length body cut, no close_notify: exit 1" sh -c "[ $? = 1 ] && grep -q 'cut short after 5 bytes: .*close_notify' $T/peer.err"
		peer notify 'HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhello'
		check "get: Content-Length body cut by close_notify: exit 1" sh -c "[ $? = 1 ] && grep -q 'cut short after 5 bytes' $T/peer.err"
		peer cut 'HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nhello'
		check "get: body to the end, no close_notify (truncated): exit 1" sh -c "[ $? = 1 ] && grep -q 'close_notify' $T/peer.err"
		peer notify 'HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nhello'
		check "get: body to the end, close_notify: exit 0" sh -c "[ $? = 0 ] && [ \"\$(cat $T/peer.out)\" = hello ]"
		peer notify 'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello'
		check "get: an interim 100 passed over" sh -c "[ $? = 0 ] && [ \"\$(cat $T/peer.out)\" = hello ]"
		for bad in 'Content-Length: 5\r\nContent-Length: 5' 'Content-Length: 5\r\nContent-Length: 6' \
			'Content-Length: 5, 5' 'Content-Length: 5\r\nTransfer-Encoding: chunked' \
			'Transfer-Encoding: gzip, chunked'; do
			label=$(printf '%s' "$bad" | sed 's/\\r\\n/ + /g')
			peer notify "HTTP/1.1 200 OK\r\n$bad\r\n\r\nhello"
			check "get refuses $label" sh -c "[ $? = 1 ] && grep -q 'refusing the response' $T/peer.err && [ ! -s $T/peer.out ]"
		done
		peer notify 'HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabcEXTRA'
		check "get: bytes after the body refused" sh -c "[ $? = 1 ] && grep -q 'bytes after the body' $T/peer.err"
	fi
	ktls-ctl status >"$T/status.out" 2>&1
	check "status without kTLS: exit 3, said plainly" sh -c "[ $? = 3 ] && grep -q 'NOT available' $T/status.out"
	check "bench without kTLS: exit 3" [ "$brc" = 3 ]
fi

if [ "$mode" = vm ]; then
	check "bench: exit 0" [ "$brc" = 0 ]
	check "bench: the kTLS rows, with key updates" grep -Eq "^kTLS sendfile \+ updates +[0-9.]+ .* [1-9][0-9]*$" "$T/bench.out"
	# list sees a live transfer: a slow download under AES-256-GCM.
	$CURL --limit-rate 50K --tls13-ciphers TLS_AES_256_GCM_SHA384 -o "$T/slow" "$U/big.bin" &
	slow=$!
	sleep 2
	ktls-ctl list --port "$port" --json >"$T/list.json"
	ktls-ctl list --port "$port"
	check "list: the server's socket" grep -q "\"local\":\"[:f]*127.0.0.1:$port\"" "$T/list.json"
	check "list: TLS 1.3, AES-GCM-256, sw/sw" \
		grep -q '"version":"1.3","cipher":"AES-GCM-256","tx":"sw","rx":"sw"' "$T/list.json"
	check "list: owned by ktls-ctl" grep -q '"command":"ktls-ctl"' "$T/list.json"
	grep -q '^nobody:' /etc/passwd 2>/dev/null ||
		echo 'nobody:x:65534:65534:nobody:/:/bin/sh' >>/etc/passwd
	su -s /bin/sh nobody -c "PATH=$PATH ktls-ctl list" >"$T/nocap.out" 2>&1
	check "list without CAP_NET_ADMIN says so" grep -q "needs CAP_NET_ADMIN" "$T/nocap.out" ||
		cat "$T/nocap.out"
	kill "$slow" 2>/dev/null
	wait "$slow" 2>/dev/null
	# A process name is any local user's choice: a get run under a name
	# with a quote, a backslash and a terminal escape (held open by a
	# slow reader) is listed escaped, and the table shows no control byte.
	evil=$(printf 'ev"il\\\033[7m')
	ln -s "$(command -v ktls-ctl)" "$T/$evil"
	("$T/$evil" get -q --cafile "$C/ca.pem" "$U/big.bin" | (sleep 4 && cat >/dev/null)) &
	ev=$!
	sleep 2
	ktls-ctl list --port "$port" --json >"$T/evil.json"
	ktls-ctl list --port "$port" >"$T/evil.txt"
	check "list --json: the name escaped" grep -qF '"command":"ev\"il\\\u001b[7m"' "$T/evil.json"
	check "list: its control character replaced" grep -qF 'ev"il\?[7m' "$T/evil.txt"
	esc=$(printf '\033')
	check "list: no escape byte in either output" sh -c "! grep -q '$esc' $T/evil.json $T/evil.txt"
	wait "$ev"
	ktls-ctl status >"$T/status.out"
	ktls-ctl status --json >"$T/status.json"
	cat "$T/status.out"
	check "status: re-key supported" grep -q '"rekey":true' "$T/status.json"
	check "status: TX re-keys counted" grep -q '"TlsTxRekeyOk":[1-9]' "$T/status.json"
	check "status: RX re-keys counted" grep -q '"TlsRxRekeyOk":[1-9]' "$T/status.json"
	check "status: counters explained" grep -q "TlsRxRekeyReceived .*KeyUpdate records received" "$T/status.out"
	check "serve: kernel TLS both ways" grep -q "tx=kernel rx=kernel" "$T/access.log"
fi

# Key updates both ways: the server's policy, and a client's requests. Two
# requests on one connection: the client's updates (asked for while the
# first body arrives) reach the server at the latest with the second.
check "get: two URLs on one connection" sh -c "$GET --request-key-update 256K -o $T/two $U/mid.bin $U/sub/small.txt && cat $W/mid.bin $W/sub/small.txt | cmp -s - $T/two"
check "server sent key updates" grep -q "GET /big.bin\" 200 4194304 .* ku_sent=[1-9]" "$T/access.log"
check "server received key updates" grep -q "GET /sub/small.txt\" 200 6 .* ku_recv=[1-9]" "$T/access.log"

# SIGTERM with an idle keep-alive connection open: it gets close_notify and
# the server exits 0 at once.
(
	printf 'GET / HTTP/1.1\r\nHost: x\r\n\r\n'
	sleep 5
) | openssl s_client -connect "127.0.0.1:$port" -CAfile "$C/ca.pem" >"$T/idle.out" 2>&1 &
idle=$!
sleep 1
kill -TERM "$srv"
wait "$srv"
check "SIGTERM: exit status 0" [ $? = 0 ]
check "SIGTERM: summary printed" grep -q "connections, .* requests" "$T/serve.err"
kill "$idle" 2>/dev/null
wait "$idle" 2>/dev/null
check "the idle client got its answer" grep -q "HTTP/1.1 200 OK" "$T/idle.out"
grep -c '"' "$T/access.log" | sed 's/^/access log lines: /'
[ "$fail" = 0 ] || {
	echo "--- server stderr"
	cat "$T/serve.err"
	echo "--- access log (tail)"
	tail -20 "$T/access.log"
}
rm -rf "$T"
exit $fail
