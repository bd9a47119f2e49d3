# SPDX-License-Identifier: Apache-2.0
# Sourced by every test script that may be unable to run here. A test that
# cannot run says SKIP with the reason (meson's status 77); with CI set (as
# .ci/run sets it) it fails instead, naming what is missing, so that a CI
# run cannot turn green with a part of the suite left out.
test_skip() {
	if [ -n "${CI:-}" ]; then
		echo "FAIL: cannot run: $* (CI is set: a test that would skip fails)" >&2
		exit 1
	fi
	echo "SKIP: $*"
	exit 77
}
