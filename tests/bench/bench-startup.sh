#!/usr/bin/env bash
# bench-startup.sh: keyturn's time to first frame and peak RSS, beside a bare AdwApplicationWindow
# program started the same way in the same run; the target is 1.3x the bare window on both
#
# Usage: tests/bench/bench-startup.sh BUILD_DIR [COUNT]
# Builds keyturn, keyturn-sandbox and, from tests/bench, the bare window (bench-bare-window), the
# first-frame shim (kt-first-frame) and the driver (bench-startup). Inside the tests' private
# session (keyturn-test-env: D-Bus, an unlocked gnome-keyring holding no session, Xvfb, the cairo
# renderer, GSettings in memory with the build's schema) it starts keyturn-sandbox on loopback,
# then starts keyturn, pointed at it as a user would be, and the bare window in turns, COUNT (20)
# times each after one uncounted start of each.
#
# How each start is measured, the same for both programs:
# - the clock starts right before fork(); the program is exec'd with kt-first-frame preloaded
#   (LD_PRELOAD), which is the only benchmark code either of them runs;
# - the shim watches the program's first window: after each paint of its frame clock
#   ("after-paint") it waits for the X server to have drawn the frame (XSync), then reports the
#   time on a pipe. "first frame" is the first paint; "ready" is the first frame that shows what
#   the person came for: keyturn's sign-in page (a mapped KtSignInPage; keyturn has no stored
#   session, so that is where it lands), and for the bare window its first frame;
# - the shim then quits the program through its GApplication, and wait4() gives the program's
#   peak RSS (ru_maxrss) and CPU time (user and system, for reference) once it has exited.
# The ratio against the target is taken on "ready": a first frame that showed only a spinner
# would not be what the person waits for. Medians, with the quartiles and extremes as spread;
# the ratios twice: of the medians, and the median of each start's ratio to the bare start right
# after it, which is steadier when other work on the machine comes and goes.
# A benchmark: it reports, it never fails on a figure; it exits non-zero only when a program
# fails to start or a tool is missing.
#
# Copyright 2026 Keyturn developers
# SPDX-License-Identifier: GPL-3.0-or-later
set -euo pipefail

here=$(dirname "$(readlink -f "$0")")
build=$(readlink -f "${1:?usage: bench-startup.sh BUILD_DIR [COUNT]}")
count=${2:-20}

if [[ -z ${KEYTURN_BENCH_STARTUP_INSIDE:-} ]]; then
  command -v ninja >/dev/null || { echo "bench-startup: ninja is not installed" >&2; exit 1; }
  # Not `grep -q`: it would stop reading early, and pipefail would count ninja's SIGPIPE.
  if ! ninja -C "$build" -t targets all 2>/dev/null | grep '^src/app/keyturn:' >/dev/null; then
    echo "bench-startup: $build has no keyturn app (GTK and libadwaita were not found)" >&2
    exit 1
  fi
  ninja -C "$build" src/app/keyturn src/sandbox/keyturn-sandbox tests/bench/bench-startup \
    tests/bench/bench-bare-window tests/bench/libkt-first-frame.so data/gschemas.compiled \
    >/dev/null
  # The session's own services (bus, keyring, accessibility) talk on its stdout and stderr:
  # the table comes back in a file, and their words are shown only on failure.
  outside=$(mktemp -d)
  trap 'rm -rf "$outside"' EXIT
  KEYTURN_BENCH_STARTUP_INSIDE="$outside/table.txt" KEYTURN_TEST_DISPLAY=1 \
    KEYTURN_BUILD_ROOT="$build" "$here/../keyturn-test-env" "$0" "$build" "$count" \
    >"$outside/log" 2>&1 || {
    cat "$outside/log" >&2
    exit 1
  }
  cat "$outside/table.txt"
  exit 0
fi

work=$(mktemp -d)
sandbox_pid=
cleanup() {
  if [[ -n $sandbox_pid ]]; then
    kill "$sandbox_pid" 2>/dev/null || true
    wait "$sandbox_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

mkdir "$work/sandbox"
"$build/src/sandbox/keyturn-sandbox" --listen 127.0.0.1:0 --data-dir "$work/sandbox" \
  >/dev/null 2>"$work/sandbox.log" &
sandbox_pid=$!
for _ in $(seq 200); do
  [[ -s $work/sandbox/sandbox.json ]] && break
  sleep 0.05
done
[[ -s $work/sandbox/sandbox.json ]] || {
  echo "bench-startup: keyturn-sandbox did not start" >&2
  cat "$work/sandbox.log" >&2
  exit 1
}
field() { python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' \
  "$work/sandbox/sandbox.json" "$1"; }

export GSETTINGS_SCHEMA_DIR="$build/data"
keyturn=$(printf '%q ' "$build/src/app/keyturn" --base-url "$(field baseUrl)" \
  --environment-id "$(field environmentId)" --origin "$(field origin)")
"$build/tests/bench/bench-startup" --count "$count" \
  --preload "$build/tests/bench/libkt-first-frame.so" \
  --keyturn "$keyturn" --ready-type KtSignInPage \
  --bare "$(printf %q "$build/tests/bench/bench-bare-window")" \
  >"$work/out.txt" 2>"$work/err.txt" || {
  cat "$work/err.txt" >&2
  exit 1
}

get() { sed -n "s/^$1=//p" "$work/out.txt"; }
row() {
  printf '  %-38s %8s   %-17s %-17s\n' "$1" "$(get "$2_p50")" \
    "$(get "$2_p25")–$(get "$2_p75")" "$(get "$2_min")–$(get "$2_max")"
}
ratio() {
  awk -v a="$(get "$2_p50")" -v b="$(get "$3_p50")" -v what="$1" -v target="$4" 'BEGIN {
    r = a / b
    printf "  %-40s %5.2fx the bare window", what, r
    if (target != "")
      printf "   target <= 1.3x: %s", (r <= 1.3 ? "met" : "NOT met")
    printf "\n"
  }'
}

exec >"$KEYTURN_BENCH_STARTUP_INSIDE"
echo "Start-up under Xvfb (cairo renderer), from fork() to the frame drawn, and peak RSS;"
echo "keyturn and the bare AdwApplicationWindow in turns, $(get runs) starts each"
echo
printf '  %-38s %8s   %-17s %-17s\n' "" "median" "quartiles" "min–max"
row "keyturn: first frame (ms)" keyturn_first_ms
row "keyturn: sign-in page shown (ms)" keyturn_ready_ms
row "bare window: first frame (ms)" bare_ready_ms
row "keyturn: peak RSS (MiB)" keyturn_rss_mib
row "bare window: peak RSS (MiB)" bare_rss_mib
row "keyturn: CPU time, start to exit (ms)" keyturn_cpu_ms
row "bare window: CPU time (ms)" bare_cpu_ms
echo
ratio "time to first frame (sign-in page shown)" keyturn_ready_ms bare_ready_ms target
ratio "time to first frame (any page)" keyturn_first_ms bare_ready_ms ""
ratio "peak RSS" keyturn_rss_mib bare_rss_mib target
ratio "CPU time (for reference)" keyturn_cpu_ms bare_cpu_ms ""
echo
echo "  start by start: each keyturn start over the bare window's start right after it, which"
echo "  shared the machine's load with it (median of the pairs, quartiles)"
pair() {
  awk -v r="$(get "pair_ratio_$2_p50")" -v lo="$(get "pair_ratio_$2_p25")" \
      -v hi="$(get "pair_ratio_$2_p75")" -v what="$1" 'BEGIN {
    printf "  %-40s %5.2fx (%.2f–%.2f)   target <= 1.3x: %s\n", what, r, lo, hi,
           (r <= 1.3 ? "met" : "NOT met")
  }'
}
pair "time to first frame (sign-in page shown)" ready_ms
pair "peak RSS" rss_mib
