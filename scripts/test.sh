#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The whole test suite: set up, build with ASan/UBSan, run every meson suite
# (unit, interop, fuzz, vm), then print one closing line of counts.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
dir=build-test
[ -f $dir/build.ninja ] || meson setup $dir -Db_sanitize=address,undefined -Db_lundef=false >/dev/null
ninja -C $dir
rc=0
meson test -C $dir --print-errorlogs --num-processes 2 "$@" || rc=$?
python3 - "$dir/meson-logs/testlog.json" <<'PY'
import json, sys
counts = {"OK": 0, "FAIL": 0, "SKIP": 0, "EXPECTEDFAIL": 0, "TIMEOUT": 0, "UNEXPECTEDPASS": 0, "ERROR": 0}
soak = 0
for line in open(sys.argv[1]):
    t = json.loads(line)
    counts[t["result"]] = counts.get(t["result"], 0) + 1
    # The soak's own count of connections, from its output.
    for out in (t.get("stdout") or "").splitlines():
        if out.startswith("soak-connections: "):
            soak += int(out.split()[1])
passed = counts["OK"] + counts["EXPECTEDFAIL"]
failed = counts["FAIL"] + counts["TIMEOUT"] + counts["UNEXPECTEDPASS"] + counts["ERROR"]
print("tests: %d passed, %d failed, %d skipped; soak connections %d" % (passed, failed, counts["SKIP"], soak))
PY
exit $rc
