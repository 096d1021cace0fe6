#!/usr/bin/env bash
# bench-service.sh: GetSession for an allowed caller, beside a bare GDBus round trip to the same
# keyturn measured in the same run (the target is under 2x it), and the peak RSS of keyturn
# started by D-Bus activation with no window, beside the bare AdwApplication of bench-startup
#
# Usage: tests/bench/bench-service.sh BUILD_DIR [COUNT]
# Builds keyturn, keyturn-sandbox, keyturn-virtual-key and, from tests/bench, the bare window
# (bench-bare-window) and the driver (bench-service). Inside the tests' private session
# (keyturn-test-env: D-Bus, an unlocked gnome-keyring, Xvfb, the cairo renderer, GSettings in
# memory with the build's schema) the driver:
# - starts keyturn-sandbox on loopback and keyturn-virtual-key (auto presence), and signs a new
#   user up through KtMfaController, as the flow tests do: the session is left in the keyring,
#   and no keyturn runs;
# - allows its own executable, its caller id, in the desktop's permission store (table keyturn,
#   id sign-in, "yes"), as "always allow" in keyturn's first prompt would;
# - writes D-Bus service files for keyturn (--gapplication-service, pointed at the sandbox and
#   the key) and the bare window (--gapplication-service), and gives the bus the display and
#   the settings to start them with (UpdateActivationEnvironment, ReloadConfig);
# - calls GetSession, which starts keyturn by D-Bus activation (timed for reference), then, after
#   200 uncounted pairs, COUNT (2000) pairs of: one GetSession, from the call to its Response
#   (subscribed before the call; the handle_token names the Request), and one
#   org.freedesktop.DBus.Properties.Get of Session1's Version, from the call to its reply, a
#   bare GDBus round trip through the same keyturn's main loop; the two alternate which goes
#   first, so that both share the machine's load;
# - uses the last token answered once, GET /users against the sandbox, to see that the calls got
#   real answers (the token is never printed);
# - once keyturn is idle: its peak RSS (VmHWM in /proc/PID/status; the PID from
#   GetConnectionUnixProcessID), and that the display has no window mapped; then quits it
#   (app.quit) and starts the bare window by D-Bus activation, measured the same way once idle,
#   then stopped.
# p50, p99 and mean; the ratio to the round trip twice: of the p50s (the target), and the median
# of each GetSession over the round trip beside it. A benchmark: it reports, it never fails on a
# figure; it exits non-zero only when a call fails, a program fails to start or a tool is
# missing.
#
# Copyright 2026 Keyturn developers
# SPDX-License-Identifier: GPL-3.0-or-later
set -euo pipefail

here=$(dirname "$(readlink -f "$0")")
build=$(readlink -f "${1:?usage: bench-service.sh BUILD_DIR [COUNT]}")
count=${2:-2000}

if [[ -z ${KEYTURN_BENCH_SERVICE_INSIDE:-} ]]; then
  command -v ninja >/dev/null || { echo "bench-service: ninja is not installed" >&2; exit 1; }
  # Not `grep -q`: it would stop reading early, and pipefail would count ninja's SIGPIPE.
  if ! ninja -C "$build" -t targets all 2>/dev/null | grep '^src/app/keyturn:' >/dev/null; then
    echo "bench-service: $build has no keyturn app (GTK and libadwaita were not found)" >&2
    exit 1
  fi
  ninja -C "$build" src/app/keyturn src/sandbox/keyturn-sandbox \
    src/virtual-key/keyturn-virtual-key tests/bench/bench-service tests/bench/bench-bare-window \
    data/gschemas.compiled >/dev/null
  # The session's own services (bus, keyring, portals, and keyturn itself, started by the bus)
  # talk on its stdout and stderr: the table comes back in a file, and their words are shown
  # only on failure.
  outside=$(mktemp -d)
  trap 'rm -rf "$outside"' EXIT
  KEYTURN_BENCH_SERVICE_INSIDE="$outside/table.txt" KEYTURN_TEST_DISPLAY=1 \
    KEYTURN_BUILD_ROOT="$build" "$here/../keyturn-test-env" "$0" "$build" "$count" \
    >"$outside/log" 2>&1 || {
    cat "$outside/log" >&2
    exit 1
  }
  cat "$outside/table.txt"
  exit 0
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

export GSETTINGS_SCHEMA_DIR="$build/data"
"$build/tests/bench/bench-service" --count "$count" --keyturn "$build/src/app/keyturn" \
  --bare "$build/tests/bench/bench-bare-window" >"$work/out.txt" 2>"$work/err.txt" || {
  cat "$work/err.txt" >&2
  exit 1
}

get() { sed -n "s/^$1=//p" "$work/out.txt"; }
row() {
  printf '  %-44s %8s %8s %8s   %-15s\n' "$1" "$(get "$2_p50")" "$(get "$2_p99")" \
    "$(get "$2_mean")" "$(get "$2_min")–$(get "$2_max")"
}
ratio() {
  awk -v a="$(get "get_session_us_$2")" -v b="$(get "round_trip_us_$2")" -v what="$1" 'BEGIN {
    r = a / b
    printf "  %-44s %5.2fx the round trip   target < 2x: %s\n", what, r, (r < 2 ? "met" : "NOT met")
  }'
}

exec >"$KEYTURN_BENCH_SERVICE_INSIDE"
echo "GetSession for an allowed caller, keyturn started by D-Bus activation (no window), beside"
echo "a bare GDBus round trip to the same keyturn (Properties.Get of Session1.Version), in turns;"
echo "$(get runs) calls of each after $(get warm_up) of each uncounted; times in microseconds"
echo
printf '  %-44s %8s %8s %8s   %-15s\n' "" "p50" "p99" "mean" "min–max"
row "GetSession, call -> Response" get_session_us
row "bare round trip, call -> reply" round_trip_us
echo
ratio "GetSession (p50)" p50
ratio "GetSession (p99)" p99
awk -v r="$(get pair_ratio_p50)" -v lo="$(get pair_ratio_p25)" -v hi="$(get pair_ratio_p75)" \
  'BEGIN {
    printf "  %-44s %5.2fx (%.2f–%.2f)   target < 2x: %s\n", "call by call (median, quartiles)", r,
           lo, hi, (r < 2 ? "met" : "NOT met")
  }'
echo "  (call by call: each GetSession over the round trip made right before or after it)"
echo
echo "  first GetSession, D-Bus activation and start-up included: $(get first_call_ms) ms"
echo "  the last token answered, used on the sandbox: GET /users -> $(get token_status)"
echo
echo "Peak RSS (VmHWM), each started by D-Bus activation with --gapplication-service, once idle"
echo
printf '  %-44s %9s %9s %8s\n' "" "peak MiB" "now MiB" "windows"
printf '  %-44s %9s %9s %8s\n' "keyturn, after the calls" "$(get keyturn_hwm_mib)" \
  "$(get keyturn_rss_mib)" "$(get keyturn_windows)"
printf '  %-44s %9s %9s %8s\n' "bare AdwApplication (bench-bare-window)" "$(get bare_hwm_mib)" \
  "$(get bare_rss_mib)" "$(get bare_windows)"
echo
awk -v a="$(get keyturn_hwm_mib)" -v b="$(get bare_hwm_mib)" 'BEGIN {
  printf "  %-44s %5.2fx the bare AdwApplication\n", "peak RSS", a / b
}'
