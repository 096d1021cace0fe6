#!/usr/bin/env bash
# bench-verify.sh: assertions verified per second, Keyturn's sandbox beside @simplewebauthn/server
#
# Usage: tests/bench/bench-verify.sh BUILD_DIR [SECONDS] [COUNT]
# Builds bench-verify in BUILD_DIR, installs the pinned @simplewebauthn/server with npm into
# BUILD_DIR/bench-node (outside the source tree, once), makes COUNT assertions (2000), and runs
# both verifiers on the same file in this one run. A benchmark: it reports, it never fails on a
# figure; it exits non-zero only when an input does not verify or a tool is missing.
#
# Copyright 2026 Keyturn developers
# SPDX-License-Identifier: GPL-3.0-or-later
set -euo pipefail

SIMPLEWEBAUTHN_VERSION=13.3.3
TARGET=10

here=$(dirname "$(readlink -f "$0")")
build=$(readlink -f "${1:?usage: bench-verify.sh BUILD_DIR [SECONDS] [COUNT]}")
seconds=${2:-3}
count=${3:-2000}
node_dir="$build/bench-node"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

for tool in node npm ninja; do
  command -v "$tool" >/dev/null || { echo "bench-verify: $tool is not installed" >&2; exit 1; }
done
node_major=$(node -p 'process.versions.node.split(".")[0]')
[[ $node_major == 20 ]] || echo "bench-verify: note: Node $(node --version), the target is stated for Node 20" >&2

ninja -C "$build" tests/webauthn/bench-verify >/dev/null

installed=$(node -p "try { require('$node_dir/node_modules/@simplewebauthn/server/package.json').version } catch { '' }")
if [[ $installed != "$SIMPLEWEBAUTHN_VERSION" ]]; then
  mkdir -p "$node_dir"
  [[ -f $node_dir/package.json ]] || echo '{"private": true}' > "$node_dir/package.json"
  npm install --prefix "$node_dir" --no-audit --no-fund --silent \
    "@simplewebauthn/server@$SIMPLEWEBAUTHN_VERSION" >&2
fi

inputs="$work/assertions.json"
"$build/tests/webauthn/bench-verify" --count "$count" --seconds "$seconds" "$inputs" > "$work/c.txt"
node "$here/bench-verify-simplewebauthn.mjs" "$node_dir" "$inputs" "$seconds" > "$work/node.txt"

get() { sed -n "s/^$1=//p" "$2"; }
c_one=$(get keyturn_prepared_per_s "$work/c.txt")
c_one_cpus=$(get keyturn_prepared_cpus "$work/c.txt")
c_par_cpus=$(get keyturn_prepared_threads_cpus "$work/c.txt")
c_cold=$(get keyturn_unprepared_per_s "$work/c.txt")
c_par=$(get keyturn_prepared_threads_per_s "$work/c.txt")
threads=$(get keyturn_threads "$work/c.txt")
s_seq=$(get swa_sequential_per_s "$work/node.txt")
s_seq_cpus=$(get swa_sequential_cpus "$work/node.txt")
s_conc=$(get swa_concurrent_per_s "$work/node.txt")
s_conc_cpus=$(get swa_concurrent_cpus "$work/node.txt")
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1fx", a / b }'; }

echo "Assertion verification: $count ES256 assertions over $(get credentials "$work/c.txt") credentials, the same file for both, ${seconds}s per figure"
echo "  Keyturn:        ks_webauthn_verify_assertion, $(openssl version | cut -d' ' -f1-2)"
echo "  SimpleWebAuthn: @simplewebauthn/server $(get simplewebauthn_version "$work/node.txt") verifyAuthenticationResponse on Node $(get node_version "$work/node.txt"); every input verified: $(get verified_all "$work/node.txt")"
echo
printf '  %-44s %12s %12s %8s\n' "" "Keyturn/s" "SWA/s" "ratio"
printf '  %-44s %12s %12s %8s\n' "(a) vs (b): one thread vs one at a time" "$c_one" "$s_seq" "$(ratio "$c_one" "$s_seq")"
printf '  %-44s %12s %12s %8s\n' "    no prepared key vs one at a time" "$c_cold" "$s_seq" "$(ratio "$c_cold" "$s_seq")"
printf '  %-44s %12s %12s %8s\n' "    $threads threads vs all in flight" "$c_par" "$s_conc" "$(ratio "$c_par" "$s_conc")"
per_cpu() { awk -v a="$1" -v c="$2" 'BEGIN { printf "%.0f", a / c }'; }
c_per_cpu=$(per_cpu "$c_one" "$c_one_cpus")
s_per_cpu=$(per_cpu "$s_seq" "$s_seq_cpus")
printf '  %-44s %12s %12s %8s\n' "    per CPU-second, one at a time" "$c_per_cpu" "$s_per_cpu" "$(ratio "$c_per_cpu" "$s_per_cpu")"
echo
echo "  Keyturn CPU use: ${c_one_cpus} cores on one thread, ${c_par_cpus} on $threads threads"
echo "  SimpleWebAuthn CPU use: ${s_seq_cpus} cores one at a time, ${s_conc_cpus} all in flight (WebCrypto runs on libuv's pool)"
echo "  OpenSSL's own ceiling here: $(openssl speed -seconds 1 ecdsap256 2>/dev/null | awk '/nistp256/ { print $NF }') ECDSA P-256 verifies/s on one core"
echo "  Target: (a) >= ${TARGET}x (b); headline (first row): $(ratio "$c_one" "$s_seq") -> $(awk -v a="$c_one" -v b="$s_seq" -v t="$TARGET" 'BEGIN { print (a / b >= t) ? "met" : "NOT met" }')"
