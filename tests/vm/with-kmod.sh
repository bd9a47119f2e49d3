#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Builds tls.ko from kmod-patches (cached) and runs a VM command with it:
#   with-kmod.sh run.sh|selftest.sh [ARGS...]
# The patched module replaces the stock one in the VM.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
tool=$1
shift
ko=$("$here/../../kmod-patches/build.sh") || exit $?
exec "$here/$tool" --tls-ko "$ko" "$@"
