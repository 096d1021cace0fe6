#!/usr/bin/env bash
# bench-flow.sh: the sign-in flow through Keyturn's MFA controller, beside the raw cost of the
# HTTP round trips and key operations it is made of
#
# Usage: tests/bench/bench-flow.sh BUILD_DIR [COUNT]
# Builds bench-flow, keyturn-sandbox and keyturn-virtual-key in BUILD_DIR and runs, in one
# process inside the tests' private session (D-Bus, gnome-keyring), COUNT (40) runs of:
# - new user: from "verify code" to signed in (verify; register the key; acknowledge the
#   codes), each next step asked for the moment the last one ends;
# - returning user: from start-up (restore from the keyring, the session kept half-way) to signed
#   in (authenticate with the key, auto presence);
# - the parts, right after, for another user: each HTTP request the flow makes, alone, over one
#   keep-alive session (the WebAuthn answers they carry are made outside the clock), and the
#   key's operation through libfido2 alone (open, makeCredential or getAssertion, close).
# What the flow adds to its parts: JSON models, the WebAuthn client's checks and pre-flight, the
# keyring write each step starts, and main-loop hand-offs. A benchmark: it reports, it never
# fails on a figure; it exits non-zero only when the flow fails or a tool is missing.
#
# Copyright 2026 Keyturn developers
# SPDX-License-Identifier: GPL-3.0-or-later
set -euo pipefail

here=$(dirname "$(readlink -f "$0")")
build=$(readlink -f "${1:?usage: bench-flow.sh BUILD_DIR [COUNT]}")
count=${2:-40}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

command -v ninja >/dev/null || { echo "bench-flow: ninja is not installed" >&2; exit 1; }
ninja -C "$build" tests/flow/bench-flow src/sandbox/keyturn-sandbox \
  src/virtual-key/keyturn-virtual-key >/dev/null

KEYTURN_BUILD_ROOT="$build" "$here/../keyturn-test-env" "$build/tests/flow/bench-flow" \
  --count "$count" > "$work/out.txt" 2> "$work/err.txt" || {
  cat "$work/err.txt" >&2
  exit 1
}

get() { sed -n "s/^$1=//p" "$work/out.txt"; }
row() { printf '  %-58s %9s\n' "$1" "$2"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1fx", a / b }'; }

echo "The sign-in flow through KtMfaController, the real sandbox, libfido2, keyturn-virtual-key"
echo "(auto presence) and gnome-keyring; p50 over $(get runs) runs, parts measured in the same run"
echo
row "" "p50 (ms)"
row "new user: verify code -> signed in" "$(get new_user_p50_ms)"
row "  part: POST /emailVerifications/signin" "$(get http_signin_p50_ms)"
row "  part: GET /users/passkeys (half-session)" "$(get http_passkeys_half_p50_ms)"
row "  part: GET /users/passkeys/register" "$(get http_register_options_p50_ms)"
row "  part: key, libfido2 alone: open + makeCredential" "$(get key_make_credential_p50_ms)"
row "  part: POST /users/passkeys/register" "$(get http_register_p50_ms)"
row "  part: GET /users/mfa/recovery" "$(get http_recovery_codes_p50_ms)"
row "  part: PUT /users (acknowledge)" "$(get http_acknowledge_p50_ms)"
row "  part: GET /users/passkeys" "$(get http_passkeys_full_p50_ms)"
row "  sum of the parts (p50 of each run's sum)" "$(get new_user_parts_p50_ms)"
echo
row "returning user: start-up (restore) -> signed in" "$(get returning_user_p50_ms)"
row "  part: GET /users" "$(get http_user_p50_ms)"
row "  part: GET /users/passkeys (half-session)" "$(get http_passkeys_half_p50_ms)"
row "  part: GET /users/passkeys/authenticate" "$(get http_authenticate_options_p50_ms)"
row "  part: key, libfido2 alone: open + getAssertion" "$(get key_get_assertion_p50_ms)"
row "  part: POST /users/mfa/auth/passkey" "$(get http_authenticate_p50_ms)"
row "  part: GET /users/passkeys" "$(get http_passkeys_full_p50_ms)"
row "  sum of the parts (p50 of each run's sum)" "$(get returning_user_parts_p50_ms)"
row "  for reference, not a part: keyring load (libsecret)" "$(get keyring_load_p50_ms)"
echo
new=$(ratio "$(get new_user_p50_ms)" "$(get new_user_parts_p50_ms)")
returning=$(ratio "$(get returning_user_p50_ms)" "$(get returning_user_parts_p50_ms)")
echo "  new user:       $new the sum of its parts"
echo "  returning user: $returning the sum of its parts"
