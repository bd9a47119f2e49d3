#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Fails if any C file of the repository differs from clang-format's output.
set -euo pipefail
cd "$(dirname "$0")/.."
. tests/skip.sh
command -v clang-format >/dev/null || test_skip "clang-format is not installed"
mapfile -t files < <(git ls-files '*.c' '*.h' 2>/dev/null || find lib tools tests -name '*.[ch]')
clang-format --dry-run -Werror "${files[@]}"
echo "clang-format: ${#files[@]} files conform"
