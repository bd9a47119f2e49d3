#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# ktls-ctl serve under abuse (issue 13), each attack with well-behaved
# clients measured during it, all on loopback, attackers and clients from
# different 127.0.0.0/8 addresses, every wait bounded:
# - special files under ROOT (FIFO, symlink to it, device node, socket):
#   403 at once, and the next request served at once;
# - slowloris clients (a byte a second, never a whole head) and stalled
#   handshakes: clients' worst latency within a factor of what it was just
#   before, the attackers dropped by their deadlines (or to make room);
# - descriptors exhausted (RLIMIT_NOFILE 256, 400 connections held): the
#   server's CPU a small share of the time, a bounded log, new clients
#   served once they leave;
# - malformed heads (random bytes, 8 KiB lines, NULs, smuggling attempts):
#   each its status and the close, clients unaffected, nothing logged
#   unescaped;
# - the limits: handshakes and connections per address, the global cap
#   (the newest refused, the established undisturbed);
# - the idle timeout between requests, the send timeout of a client
#   reading nothing.
# The figures come from tests/abuse/abuse (its "abuse:" and "ok" lines).
#   abuse-test.sh CERTDIR [vm]
# ktls-ctl and abuse come from PATH; curl too. POSIX sh: busybox runs it.
set -u
C=$1
mode=${2:-host}
here=$(cd "$(dirname "$0")" && pwd)
if [ "$mode" = vm ]; then
	# TCG: about ten times slower, and other VMs side by side: the
	# slowloris clients must all be in (their handshakes done by the
	# load generator's one loop) well within the deadline.
	# A drop may come seconds after its deadline there (seen: 3.3 s, with
	# clients' median latency at 1 s): SLACK.
	N_CLIENTS=20 N_SLOW=100 N_STALL=150 N_BAD=90 FLOOD=8 DEADLINE=20 RATIO=5 MAX_HS=96 SLACK=6
else
	N_CLIENTS=50 N_SLOW=500 N_STALL=500 N_BAD=210 FLOOD=16 DEADLINE=6 RATIO=5 MAX_HS=200 SLACK=2
fi
CONC=10 # clients measured at once
if [ "$(id -u)" != 0 ]; then
	. "$here/../skip.sh"
	test_skip "not root: the device node under ROOT needs mknod"
fi
T=$(mktemp -d /tmp/ktls-abuse.XXXXXX)
W=$T/www
fail=0
ok() { echo "ok - $*"; }
bad() {
	echo "not ok - $*"
	fail=1
}
check() { # check DESCRIPTION COMMAND...
	d=$1
	shift
	if "$@"; then ok "$d"; else bad "$d"; fi
}

mkdir -p "$W"
dd if=/dev/urandom of="$W/f.bin" bs=1024 count=256 2>/dev/null
# Larger than the socket buffers a client reading nothing leaves the server.
dd if=/dev/zero of="$W/big.bin" bs=1048576 count=16 2>/dev/null
echo "<h1>abuse</h1>" >"$W/index.html"
mkfifo "$W/fifo"
ln -s fifo "$W/fifo-link"
mknod "$W/null" c 1 3
abuse mksock "$W/sock"

srv="" port=""
serve() { # serve OPTION...: ktls-ctl serve on loopback (exec: $! is its pid)
	exec ktls-ctl serve --listen 127.0.0.1 --port 0 --cert "$C/server-ecdsa256.pem" \
		--key "$C/server-ecdsa256.key" "$@" "$W"
}
# started NAME: the server's port, from its log in $T/NAME.err.
started() {
	port=""
	for _ in $(seq 1 100); do
		port=$(sed -n 's/.*listening on https:\/\/\[.*\]:\([0-9]*\)\/.*/\1/p' "$T/$1.err")
		[ -n "$port" ] && break
		sleep 0.1
	done
	[ -n "$port" ] || bad "$1: the server did not start: $(cat "$T/$1.err")"
}
# start NAME OPTION...: a server with its log in $T/NAME.{log,err}.
start() {
	name=$1
	shift
	serve "$@" >"$T/$name.log" 2>"$T/$name.err" &
	srv=$!
	started "$name"
}
# stop NAME: its status line and summary, and a clean exit.
stop() {
	kill -USR1 "$srv"
	sleep 0.3
	kill -TERM "$srv"
	wait "$srv"
	r=$?
	check "$1: the server exits 0" [ $r = 0 ]
	[ $r = 0 ] || grep -v "^ktls-ctl serve: " "$T/$1.err" | head -60
	grep "status:" "$T/$1.err" | tail -1
	tail -1 "$T/$1.err"
}
run_abuse() { # run_abuse SCENARIO OPTION...
	sc=$1
	shift
	abuse "$sc" --ca "$C/ca.pem" --file "$W/f.bin" --path /f.bin --ratio "$RATIO" \
		--conc "$CONC" "$@"
}
CURL="curl -sS --max-time 5 --cacert $C/ca.pem -o /dev/null"

# Special files: never opened for reading, so nothing blocks.
start files
for f in fifo fifo-link null sock; do
	r=$($CURL -w '%{http_code} %{time_total}' "https://127.0.0.1:$port/$f")
	check "$f: 403 at once ($r s)" sh -c "[ '${r% *}' = 403 ] && awk 'BEGIN { exit !(${r#* } < 2) }'"
	r=$($CURL -w '%{http_code} %{time_total}' "https://127.0.0.1:$port/f.bin")
	check "after $f: the next request served at once ($r s)" \
		sh -c "[ '${r% *}' = 200 ] && awk 'BEGIN { exit !(${r#* } < 2) }'"
done
stop files

# Slowloris and stalled handshakes, against deadlines of DEADLINE seconds
# and a handshake cap below the stalled ones' number: the first clients
# measured arrive at a full table, and each must displace a stalled one.
start deadlines --handshake-timeout "$DEADLINE" --header-timeout "$DEADLINE" \
	--max-handshakes "$MAX_HS"
run_abuse deadlines --port "$port" --pid "$srv" --clients "$N_CLIENTS" --slowloris "$N_SLOW" \
	--stalled "$N_STALL" --deadline "$DEADLINE" --slack "$SLACK" || fail=1
stop deadlines
st=$(grep "status:" "$T/deadlines.err" | tail -1)
heads=$(echo "$st" | sed -n 's/.* \([0-9]*\) header,.*/\1/p')
hs=$(echo "$st" | sed -n 's/.*; \([0-9]*\) handshakes dropped for room; timeouts: \([0-9]*\) handshake,.*/\1 \2/p')
[ -n "$hs" ] || hs="0 0"
check "deadlines: the server counted $heads head timeouts (of $N_SLOW slowloris)" [ "${heads:-0}" -ge "$N_SLOW" ]
check "deadlines: ${hs% *} handshakes dropped for room (the stalled beyond the cap of $MAX_HS, then one for each of the first $CONC clients measured), ${hs#* } timed out" \
	sh -c "[ ${hs% *} -ge $((N_STALL - MAX_HS + CONC)) ] && [ \$((${hs% *} + ${hs#* })) -ge $N_STALL ]"

# Descriptors: a hard and soft limit of 256, 400 connections held.
(
	ulimit -Sn 256 && ulimit -Hn 256 || exit 1
	serve --max-connections 1000 --max-handshakes 1000 --handshake-timeout 60
) >"$T/fds.log" 2>"$T/fds.err" &
srv=$!
started fds
check "fds: the server says its limit is below what --max-connections needs" \
	grep -q "RLIMIT_NOFILE 256) is below" "$T/fds.err"
run_abuse fds --port "$port" --pid "$srv" --connect 400 --hold 3 --clients 10 || fail=1
lines=$(wc -l <"$T/fds.err")
check "fds: one line for the shortage, $lines lines in all (at most 60, for 400 connections)" \
	sh -c "[ \$(grep -c 'pausing new connections' $T/fds.err) = 1 ] && [ $lines -le 60 ]"
stop fds
sed 's/^/# fds: /' "$T/fds.err"

# Malformed heads.
start malformed --handshake-timeout 3
run_abuse malformed --port "$port" --pid "$srv" --clients "$N_CLIENTS" --malformed "$N_BAD" \
	--flood-conc "$FLOOD" --deadline 3 || fail=1
stop malformed
check "malformed: nothing unescaped in the logs" \
	sh -c "! LC_ALL=C grep -q '[^ -~]' $T/malformed.log $T/malformed.err"
check "malformed: the client's escapes logged as \\\\xHH" \
	grep -q 'GET /\\x1b\[2J\\x1b\]0;pwned\\x07" 400' "$T/malformed.log"
if [ "$mode" = vm ]; then
	check "vm: the clients were served over kernel TLS" grep -q "tx=kernel rx=kernel" "$T/malformed.log"
fi
# The limits, with the defaults per address (64 connections, 16 handshakes).
start limits --max-connections 90 --header-timeout 60 --handshake-timeout 60
run_abuse limits --port "$port" --pid "$srv" --cap 90 || fail=1
stop limits
st=$(grep "status:" "$T/limits.err" | tail -1)
count() { echo "$st" | sed -n "s/.*[;,:] \([0-9]*\) $1.*/\1/p"; }
check "limits: the server counted $(count 'at the cap') refused at the cap, $(count 'per address,') per address, $(count 'handshakes per') handshakes per address" \
	sh -c "[ '$(count 'at the cap')' = 14 ] && [ '$(count 'per address,')' = 6 ] && [ '$(count 'handshakes per')' = 24 ]"

# Idle between requests; a client reading nothing.
start timeouts --idle-timeout 3 --send-timeout 2
run_abuse timeouts --port "$port" --pid "$srv" --idle 3 --send 2 --big /big.bin || fail=1
stop timeouts
st=$(grep "status:" "$T/timeouts.err" | tail -1)
check "timeouts: the server counted $(count 'idle') idle and $(count 'send') send timeouts" \
	sh -c "[ '$(count 'idle')' = 5 ] && [ '$(count 'send')' = 5 ]"

[ "$fail" = 0 ] || for f in "$T"/*.err; do
	echo "--- $f (tail)"
	tail -5 "$f"
done
rm -rf "$T"
exit $fail
