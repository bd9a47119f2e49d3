#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Installs what building and testing ktls needs on Debian 12, and nothing
# when it is all there already (so CI re-runs do not touch the network).
set -euo pipefail

pkgs=(
  gcc make meson ninja-build pkg-config         # build
  libssl-dev libmnl-dev check                   # libcrypto, netlink, unit tests
  clang clang-format llvm                       # libFuzzer targets (llvm: fuzz-long.sh coverage), formatting
  openssl gnutls-bin                            # interop peers
  qemu-system-x86 busybox-static kmod cpio      # the VM suite
  xz-utils zstd dwarves bc flex bison libelf-dev # building tls.ko out of tree
  curl                                          # a real HTTPS client for ktls-ctl serve
)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  if [ "$(id -u)" != 0 ]; then
    echo "deps: missing ${missing[*]}; run as root (or install them) first" >&2
    exit 1
  fi
  echo "deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
