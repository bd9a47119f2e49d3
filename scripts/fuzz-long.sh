#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Long fuzz runs (not part of CI): each target, one at a time and niced,
# for at least N executions (default 1,000,000) or at most T seconds, under
# ASan + UBSan; then its corpus replayed through a coverage build. Reports
# per target: executions, rate, findings (inputs kept), line coverage of
# the files it aims at, and the coverage of the functions it must reach.
#   scripts/fuzz-long.sh [-n RUNS] [-t SECONDS] [TARGET...]
# RUNS 0: no execution bound (then -t bounds the run). The corpus persists
# in build-fuzz-long/corpus-TARGET, so runs build on earlier ones; the
# report goes to build-fuzz-long/report.txt as well.
set -euo pipefail
cd "$(dirname "$0")/.."
src=$PWD
runs=1000000 secs=0
while getopts n:t: o; do
	case $o in
	n) runs=$OPTARG ;;
	t) secs=$OPTARG ;;
	*) echo "usage: $0 [-n RUNS] [-t SECONDS] [TARGET...]" >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
targets=("$@")
((${#targets[@]})) || targets=(handshake hs-client hs-server posths record ticket ctl-list http)
for t in clang llvm-profdata llvm-cov; do
	command -v $t >/dev/null || { echo "fuzz-long: $t missing (scripts/deps.sh installs it)" >&2; exit 1; }
done
out=$src/build-fuzz-long
certs=$out/certs
mkdir -p "$out"
[ -f "$certs/stamp" ] || bash tests/certs/mkcerts.sh "$certs"
report=$out/report.txt
: >"$report"
say() { echo "$*" | tee -a "$report"; }

# What each target is for: the files whose coverage it reports, and the
# functions it has to reach (file:function).
files_of() {
	case $1 in
	handshake) echo lib/src/handshake/hs.c lib/src/handshake/server.c lib/src/handshake/msg_client_hello.c lib/src/handshake/msg_server_hello.c ;;
	hs-client) echo lib/src/handshake/client.c lib/src/handshake/hs.c lib/src/handshake/msg_encrypted_extensions.c lib/src/handshake/msg_certificate.c ;;
	hs-server) echo lib/src/handshake/server.c lib/src/handshake/hs.c lib/src/handshake/resume.c lib/src/handshake/msg_certificate.c ;;
	posths) echo lib/src/conn/rx.c lib/src/conn/posths.c lib/src/conn/keyupdate.c lib/src/handshake/resume.c lib/src/handshake/msg_small.c ;;
	record) echo lib/src/record/record.c ;;
	ticket) echo lib/src/handshake/session.c lib/src/handshake/resume.c ;;
	ctl-list) echo tools/ktls-ctl/list_parse.c ;;
	http) echo tools/ktls-ctl/http.c tools/ktls-ctl/http_cond.c tools/ktls-ctl/http_chunked.c ;;
	esac
}
funcs_of() {
	case $1 in
	handshake) echo hs.c:handle_record hs.c:process_messages server.c:on_client_hello ;;
	hs-client) echo client.c:on_server_hello client.c:on_encrypted_extensions client.c:on_certificate_request \
		client.c:on_certificate hs.c:ktls_hs_check_cert_verify hs.c:ktls_hs_check_finished \
		client.c:on_finished client.c:send_client_auth ;;
	hs-server) echo server.c:on_client_certificate hs.c:ktls_hs_check_cert_verify \
		hs.c:ktls_hs_check_finished server.c:on_finished resume.c:ktls_hs_server_tickets ;;
	posths) echo rx.c:ktls_conn_on_control rx.c:on_handshake_record rx.c:resume_rx rx.c:rx_user \
		posths.c:ktls_post_handshake_message posths.c:hand_over resume.c:ktls_hs_client_ticket \
		keyupdate.c:ktls_conn_on_peer_key_update keyupdate.c:ktls_conn_do_key_update \
		msg_small.c:ktls_new_session_ticket_decode msg_small.c:ktls_key_update_decode ;;
	record) echo record.c:ktls_rec_open record.c:ktls_rec_frame ;;
	ticket) echo session.c:ktls_ticket_open session.c:decode session.c:ktls_session_decode \
		resume.c:ktls_hs_server_pick_psk resume.c:usable resume.c:ktls_hs_set_session ;;
	ctl-list) echo list_parse.c:list_parse_reply list_parse.c:on_msg list_parse.c:tls_attr ;;
	http) echo http.c:http_parse_request ;;
	esac
}

total=0 findings=0
for t in "${targets[@]}"; do
	bin=$(tests/fuzz/build-fuzz.sh "$src" "$out" "$t" asan)
	cov=$(tests/fuzz/build-fuzz.sh "$src" "$out" "$t" cov)
	corpus=$out/corpus-$t art=$out/artifacts-$t
	mkdir -p "$corpus" "$art"
	cp -n tests/fuzz/corpus/"$t"/* "$corpus/"
	case $t in
	handshake | hs-client | hs-server | posths)
		rm -rf "$corpus/gen"
		KTLS_TEST_CERTS=$certs KTLS_FUZZ_SEEDS="$corpus/gen" "$bin" >/dev/null 2>&1
		mv -f "$corpus/gen/"* "$corpus/" && rmdir "$corpus/gen" ;;
	esac
	dict=()
	case $t in
	handshake | hs-client | hs-server | posths) dict=(-dict=tests/fuzz/dict/tls.dict) ;;
	http | ctl-list) dict=(-dict=tests/fuzz/dict/$t.dict) ;;
	esac
	log=$out/run-$t.log
	start=$(date +%s)
	rc=0
	KTLS_TEST_CERTS=$certs nice "$bin" -seed=$RANDOM -runs="$runs" -max_total_time="$secs" \
		-max_len=16384 -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix="$art/" "${dict[@]}" "$corpus" >"$log" 2>&1 || rc=$?
	took=$(($(date +%s) - start))
	n=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	n=${n:-0}
	total=$((total + n))
	found=$(ls "$art" | wc -l)
	findings=$((findings + found))
	say "== $t: $n executions in ${took}s ($((n / (took ? took : 1)))/s), corpus $(ls "$corpus" | wc -l), exit $rc, findings $found"
	if [ "$rc" != 0 ] || [ "$found" != 0 ]; then
		grep -E "ERROR|SUMMARY|runtime error" "$log" | head -5 | tee -a "$report"
		ls "$art" | sed "s|^|   kept: $art/|" | tee -a "$report"
	fi

	# Coverage: the corpus replayed once through the coverage build.
	prof=$out/cov-$t
	rm -rf "$prof" && mkdir -p "$prof"
	KTLS_TEST_CERTS=$certs LLVM_PROFILE_FILE="$prof/%p.profraw" nice "$cov" -runs=0 "$corpus" \
		>"$prof/replay.log" 2>&1 || true
	llvm-profdata merge -sparse "$prof"/*.profraw -o "$prof/all.profdata"
	# shellcheck disable=SC2046
	llvm-cov report "$cov" -instr-profile="$prof/all.profdata" $(files_of "$t") |
		awk '/\.c / { sub(".*/", "", $1); printf "   %-50s lines %s, %s missed (%s covered)\n", $1, $8, $9, $10 }' |
		tee -a "$report"
	# shellcheck disable=SC2046
	llvm-cov report "$cov" -instr-profile="$prof/all.profdata" -show-functions $(files_of "$t") \
		>"$prof/functions.txt" 2>/dev/null || true
	for f in $(funcs_of "$t"); do
		file=${f%%:*} fn=${f#*:}
		line=$(awk -v file="$file" -v fn="$fn" '
			/^File / { cur = $2; gsub(/[\047:]/, "", cur); sub(".*/", "", cur) }
			cur == file && ($1 == fn || $1 == file ":" fn) { print; exit }' "$prof/functions.txt")
		if [ -n "$line" ]; then
			# Name Regions Miss Cover Lines Miss Cover ...
			set -- $line
			say "   $(printf '%-48s' "$f") lines $5, $6 missed ($7 covered), regions $4"
		else
			# Where the listing has no such file (other layouts), ask by name.
			say "   $(printf '%-48s' "$f") (not found in the report)"
		fi
	done
done
say "fuzz-long: ${#targets[@]} targets, $total executions, $findings findings (report: $report)"
[ "$findings" = 0 ]
