# SPDX-License-Identifier: Apache-2.0
# Sourced by the in-VM interop scripts (busybox sh): wait_for FILE PATTERN
# returns once PATTERN shows in FILE, up to 60 s. The peers' commands are
# paced on such evidence, never on sleeps alone, so that a slow VM cannot
# merge a command with the line after it (s_server reads "k\ntwo" as data).
wait_for() {
	for _ in $(seq 600); do
		grep -q -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	echo "timed out waiting for '$2' in $1" >&2
	return 1
}
# wait_port PORT: until something listens on TCP PORT, up to 30 s (a
# loaded machine can take more than a second to start a peer).
wait_port() {
	for _ in $(seq 300); do
		netstat -ltn 2>/dev/null | grep -q ":$1 " && return 0
		sleep 0.1
	done
	echo "nothing listens on port $1" >&2
	return 1
}
