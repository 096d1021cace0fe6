#!/usr/bin/env bash
# bench-ceremony.sh: a registration and an authentication through keyturn-virtual-key, beside the
# raw cost of their parts
#
# Usage: tests/bench/bench-ceremony.sh BUILD_DIR [COUNT]
# Builds bench-ceremony in BUILD_DIR and runs, in one process and one run: COUNT (200)
# registrations and COUNT authentications through Keyturn's WebAuthn client, libfido2 and the
# virtual key (auto presence), every one checked by the sandbox's verification code; then the
# parts a ceremony cannot do without: one ECDSA P-256 signature as the key makes it, and two
# loopback round trips of a 64-byte report over a Unix socket. Beside them, for reference: libfido2
# alone on one thread (open, one request), and the ceremonies again with the key's state on tmpfs.
# A benchmark: it reports, it never
# fails on a figure; it exits non-zero only when a ceremony fails or a tool is missing.
#
# Copyright 2026 Keyturn developers
# SPDX-License-Identifier: GPL-3.0-or-later
set -euo pipefail

TARGET=2

build=$(readlink -f "${1:?usage: bench-ceremony.sh BUILD_DIR [COUNT]}")
count=${2:-200}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

command -v ninja >/dev/null || { echo "bench-ceremony: ninja is not installed" >&2; exit 1; }
ninja -C "$build" tests/core/bench-ceremony src/virtual-key/keyturn-virtual-key >/dev/null

memory=()
[[ -d /dev/shm && -w /dev/shm ]] && memory=(--memory-dir /dev/shm)
"$build/tests/core/bench-ceremony" --key "$build/src/virtual-key/keyturn-virtual-key" \
  --count "$count" "${memory[@]}" > "$work/out.txt"

get() { sed -n "s/^$1=//p" "$work/out.txt"; }
reg=$(get register_p50_us)
auth=$(get authenticate_p50_us)
sign=$(get sign_p50_us)
trips=$(get round_trips_p50_us)
parts=$(awk -v a="$sign" -v b="$trips" 'BEGIN { printf "%.1f", a + b }')
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1fx", a / b }'; }
verdict() { awk -v a="$1" -v b="$2" -v t="$TARGET" 'BEGIN { print (a / b <= t) ? "met" : "NOT met" }'; }

echo "Ceremonies through Keyturn's client, libfido2 and keyturn-virtual-key (auto presence),"
echo "p50 over $count of each, every result verified by the sandbox; parts measured in the same run"
echo
printf '  %-46s %12s\n' "" "p50 (us)"
printf '  %-46s %12s\n' "registration (open key, makeCredential)" "$reg"
printf '  %-46s %12s\n' "authentication (open, pre-flight, getAssertion)" "$auth"
printf '  %-46s %12s\n' "libfido2 alone: open + makeCredential" "$(get raw_register_p50_us)"
printf '  %-46s %12s\n' "libfido2 alone: open + getAssertion" "$(get raw_authenticate_p50_us)"
if [[ -n $(get register_memory_p50_us) ]]; then
  printf '  %-46s %12s\n' "registration, key state on tmpfs (no fsync cost)" "$(get register_memory_p50_us)"
  printf '  %-46s %12s\n' "authentication, key state on tmpfs" "$(get authenticate_memory_p50_us)"
fi
printf '  %-46s %12s\n' "part: ECDSA P-256 sign ($(openssl version | cut -d' ' -f1-2))" "$sign"
printf '  %-46s %12s\n' "part: 2 round trips, 64-byte reports, Unix socket" "$trips"
printf '  %-46s %12s\n' "sum of the parts" "$parts"
echo
echo "  Target: ceremony <= ${TARGET}x the sum of its parts"
echo "  registration:   $(ratio "$reg" "$parts") -> $(verdict "$reg" "$parts")"
echo "  authentication: $(ratio "$auth" "$parts") -> $(verdict "$auth" "$parts")"
if [[ -n $(get register_memory_p50_us) ]]; then
  echo "  with the key's state on tmpfs: registration $(ratio "$(get register_memory_p50_us)" "$parts"), authentication $(ratio "$(get authenticate_memory_p50_us)" "$parts")"
fi
