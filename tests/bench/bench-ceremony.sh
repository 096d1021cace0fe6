#!/usr/bin/env bash
# bench-ceremony.sh: a registration and an authentication through keyturn-virtual-key, beside the
# raw cost of their parts
#
# Usage: tests/bench/bench-ceremony.sh BUILD_DIR [COUNT]
# Builds bench-ceremony in BUILD_DIR and runs, in one process and one run: COUNT (200)
# registrations and COUNT authentications through Keyturn's WebAuthn client, libfido2 and the
# virtual key (auto presence), every one checked by the sandbox's verification code; after each,
# one sample of the parts a ceremony cannot do without: one ECDSA P-256 signature as the key
# makes it, and two loopback round trips of the ceremony's messages. Beside them, for reference:
# libfido2 alone on one thread (open, one request), and the ceremonies again with the key's state
# on tmpfs. A benchmark: it reports, it never fails on a figure; it exits non-zero only when a
# ceremony fails or a tool is missing.
#
# How the parts are measured, and why (the first version measured them differently):
# - Round trips: CTAPHID_INIT (one report each way), then the ceremony's CTAP command with the
#   sizes its request and answer really have (learnt from libfido2's traffic with the key:
#   makeCredential answers with 15 reports), over a Unix stream socket to a forked process that
#   reads a whole message and answers with one send(), as the key does. They were two 64-byte
#   reports echoed by a thread of the benchmark itself: smaller than the real messages, and not
#   across processes as the key is.
# - When: one sample after each ceremony, so the parts see the machine as the ceremonies do. On
#   a virtual machine a peer that has just run answers in ~10 us, one idle for a millisecond takes
#   30-60 us to wake; the ceremony's first message meets a key idle since the last ceremony, and
#   the parts' first round trip now meets a peer idle as long. Measured back to back after all
#   the ceremonies, the same round trips gave 16 us or 89 us from one run to the next, depending
#   on what else the machine was doing.
# - Sign: a new digest context and two updates (authenticatorData, clientDataHash), the key
#   already loaded, as keyturn-virtual-key signs; unchanged but for being sampled between the
#   ceremonies too.
# - Counted as the ceremony's own cost, not as parts: the round trips beyond two (libfido2 asks
#   getInfo on every open; an authentication pre-flights its credential as python-fido2 does,
#   which the key signs too), opening the connection, and the key pair a registration makes
#   (shown for reference).
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
reg_parts=$(get register_parts_p50_us)
auth_parts=$(get authenticate_parts_p50_us)
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1fx", a / b }'; }
verdict() { awk -v a="$1" -v b="$2" -v t="$TARGET" 'BEGIN { print (a / b <= t) ? "met" : "NOT met" }'; }
reports() { get "$1" | awk -F/ '{ printf "%s out, %s back", $1, $2 }'; }
row() { printf '  %-62s %9s\n' "$1" "$2"; }

echo "Ceremonies through Keyturn's client, libfido2 and keyturn-virtual-key (auto presence),"
echo "p50 over $count of each, every result verified by the sandbox; one sample of the parts"
echo "taken after each ceremony"
echo
row "" "p50 (us)"
row "registration (open key, makeCredential)" "$reg"
row "authentication (open, pre-flight, getAssertion)" "$auth"
row "libfido2 alone: open + makeCredential" "$(get raw_register_p50_us)"
row "libfido2 alone: open + getAssertion" "$(get raw_authenticate_p50_us)"
if [[ -n $(get register_memory_p50_us) ]]; then
  row "registration, key state on tmpfs (no fsync cost)" "$(get register_memory_p50_us)"
  row "authentication, key state on tmpfs" "$(get authenticate_memory_p50_us)"
fi
echo
row "part: ECDSA P-256 sign ($(openssl version | cut -d' ' -f1-2))" "$(get sign_p50_us)"
row "part: 2 round trips, INIT + makeCredential ($(reports register_reports))" \
  "$(get register_trips_p50_us)"
row "part: 2 round trips, INIT + getAssertion ($(reports authenticate_reports))" \
  "$(get authenticate_trips_p50_us)"
row "sum of the parts, registration" "$reg_parts"
row "sum of the parts, authentication" "$auth_parts"
row "for reference, not a part: P-256 key pair (registration)" "$(get keygen_p50_us)"
echo
echo "  Target: ceremony <= ${TARGET}x the sum of its parts"
echo "  registration:   $(ratio "$reg" "$reg_parts") -> $(verdict "$reg" "$reg_parts")"
echo "  authentication: $(ratio "$auth" "$auth_parts") -> $(verdict "$auth" "$auth_parts")"
