#!/usr/bin/env bash
# run-contract.sh: installs the lockfile's packages with npm ci, then runs contract.mjs (TAP)
#
# Usage: tests/contract/run-contract.sh BUILD_DIR SANDBOX_BINARY
# The packages go to BUILD_DIR/contract-node (outside the source tree), installed again only when
# the lockfile changes. Without node, npm or the registry the test cannot say anything: it says
# why in a TAP "1..0 # SKIP" plan and exits 77, never passes. Meson 1.0 counts any non-zero
# exit of a TAP test as an error and reads the skip from the plan, so under meson
# (CONTRACT_SKIP_STATUS=0, set in meson.build) the exit is 0 and the plan makes it SKIP.
#
# Copyright 2026 Keyturn developers
# SPDX-License-Identifier: GPL-3.0-or-later
set -uo pipefail

here=$(dirname "$(readlink -f "$0")")
build=$(readlink -f "${1:?usage: run-contract.sh BUILD_DIR SANDBOX_BINARY}")
sandbox=${2:?usage: run-contract.sh BUILD_DIR SANDBOX_BINARY}
node_dir="$build/contract-node"

skip() { echo "1..0 # SKIP $*"; exit "${CONTRACT_SKIP_STATUS:-77}"; }

for tool in node npm; do
  command -v "$tool" >/dev/null || skip "$tool is not installed"
done
node_major=$(node -p 'process.versions.node.split(".")[0]')
(( node_major >= 20 )) || skip "Node $(node --version) is older than 20"

if ! cmp -s "$here/package-lock.json" "$node_dir/package-lock.json" \
   || [[ ! -d $node_dir/node_modules/@dynamic-labs/sdk-api-core ]]; then
  rm -rf "$node_dir"
  mkdir -p "$node_dir"
  cp "$here/package.json" "$here/package-lock.json" "$node_dir/"
  if ! (cd "$node_dir" && timeout 300 npm ci --no-audit --no-fund --silent >npm.log 2>&1); then
    sed 's/^/# /' "$node_dir/npm.log" | tail -5
    rm -rf "$node_dir/node_modules" "$node_dir/package-lock.json"
    skip "npm could not install the pinned packages (is the registry reachable?)"
  fi
fi

exec node "$here/contract.mjs" "$node_dir/node_modules" "$sandbox"
