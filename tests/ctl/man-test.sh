#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# ktls-ctl(8) documents every option each sub-command's --help lists.
#   man-test.sh KTLS-CTL MANPAGE
set -u
ctl=$1 man=$2
fail=0 n=0
for c in status list serve get bench demo; do
	for o in $("$ctl" "$c" --help | grep -oE -- '--[a-z][a-z0-9-]*' | sort -u); do
		n=$((n + 1))
		# In the page's source each '-' is written '\-'.
		grep -qF -- "$(echo "$o" | sed 's/-/\\-/g')" "$man" && continue
		echo "not ok - ktls-ctl $c $o is not in $man"
		fail=1
	done
done
[ "$n" -gt 30 ] || { echo "not ok - only $n options found in the --help texts"; fail=1; }
[ "$fail" = 0 ] && echo "ok - all $n options of ktls-ctl's --help texts are in ktls-ctl(8)"
exit $fail
