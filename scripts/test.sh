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
import json, re, sys
counts = {"OK": 0, "FAIL": 0, "SKIP": 0, "EXPECTEDFAIL": 0, "TIMEOUT": 0, "UNEXPECTEDPASS": 0, "ERROR": 0}
# Tests add to named totals with stdout lines "summary-count: NAME N"
# (fuzz-executions from tests/fuzz/run-fuzz.sh; others may add theirs):
# each total shows as "NAME with spaces: N", in the order first seen.
totals = {"fuzz-executions": 0, "soak-connections": 0}  # always shown, 0 when none ran
for line in open(sys.argv[1]):
    r = json.loads(line)
    counts[r["result"]] = counts.get(r["result"], 0) + 1
    out = r.get("stdout") or ""
    for name, n in re.findall(r"^summary-count: (\S+) (\d+)$", out, re.M):
        totals[name] = totals.get(name, 0) + int(n)
    # The VM soak's own line (its guest output reaches us as it is).
    for n in re.findall(r"^soak-connections: (\d+)\s*$", out, re.M):
        totals["soak-connections"] += int(n)
passed = counts["OK"] + counts["EXPECTEDFAIL"]
failed = counts["FAIL"] + counts["TIMEOUT"] + counts["UNEXPECTEDPASS"] + counts["ERROR"]
extra = "".join(", %s: %d" % (k.replace("-", " "), v) for k, v in totals.items())
print("tests: %d passed, %d failed, %d skipped%s" % (passed, failed, counts["SKIP"], extra))
PY
exit $rc
