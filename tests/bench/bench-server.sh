#!/usr/bin/env bash
# Benchmark (c) against (d): end-to-end passkey authentication ceremonies through keyturn-sandbox
# over loopback, beside `openssl speed rsa2048` signatures per second measured in the same run.
# Every ceremony signs one RS256 access token, so RSA signing bounds the sandbox; the target is
# ceremonies per second per server core >= 50% of one core's RSA-2048 signatures per second.
# Then (e): a burst of BURST clients, each on its own connection at the same moment, asking for a
# code, then as many signing in; every client not answered 200, or whose handshake stalled over a
# second (a SYN dropped by a full listen queue), is a failure (target: none).
# Usage: tests/bench/bench-server.sh BUILD_DIR [CONNECTIONS] [CEREMONIES] [BURST]
set -euo pipefail
build=$(readlink -f "${1:?usage: bench-server.sh BUILD_DIR [CONNECTIONS] [CEREMONIES] [BURST]}")
connections=${2:-4}
# 5000 ceremonies take about two seconds: long enough for CPU times counted in 10 ms ticks.
ceremonies=${3:-5000}
burst=${4:-500}
bench="$build/tests/sandbox/bench-server"
[[ -x $bench ]] || { echo "bench-server: $bench is not built (ninja -C $build)" >&2; exit 1; }
command -v openssl >/dev/null || { echo "bench-server: openssl is not installed" >&2; exit 1; }

export KEYTURN_BUILD_ROOT="$build"
out=$(mktemp)
trap 'rm -f "$out"' EXIT

# The ceremonies first, then openssl alone on the machine: the two never share the CPU.
status=0
"$bench" --connections "$connections" --ceremonies "$ceremonies" --burst "$burst" >"$out" \
  || status=$?
value() { sed -n "s/^$1=//p" "$out"; }

# `openssl speed` prints "rsa 2048 bits <sign time> <verify time> <sign/s> <verify/s>".
sign_per_s=$(openssl speed -seconds 3 rsa2048 2>/dev/null | awk '/^rsa 2048 bits/ { print $6 }')

rate=$(value ceremonies_per_second)
cores=$(value server_cores)
awk -v rate="$rate" -v cores="$cores" -v sign="$sign_per_s" \
    -v p50="$(value p50_ms)" -v p99="$(value p99_ms)" -v n="$(value ceremonies)" \
    -v failures="$(value failures)" -v conns="$(value connections)" \
    -v client="$(value client_cores)" -v ncpu="$(nproc)" 'BEGIN {
  per_core = cores > 0 ? rate / cores : 0
  ratio = sign > 0 ? per_core / sign : 0
  printf "(c) ceremonies through keyturn-sandbox: %d over %d connections, %d failed\n", n, conns, failures
  printf "    %.0f ceremonies/s   p50 %.2f ms   p99 %.2f ms   server CPU %.2f cores\n", rate, p50, p99, cores
  printf "    client CPU %.2f cores (of %d)\n", client, ncpu
  printf "    %.0f ceremonies/s per server core\n", per_core
  printf "(d) openssl speed -seconds 3 rsa2048: %.0f sign/s on one core\n", sign
  printf "    (c) per core / (d) = %.1f%%   target >= 50%%: %s\n", ratio * 100, (ratio >= 0.5 ? "met" : "NOT met")
}'
if [[ $burst -gt 0 ]]; then
  printf '(e) burst of %s parallel clients: %s failed (%s unanswered, %s handshakes stalled)\n' \
    "$(value burst_clients)" "$(value burst_failures)" "$(value burst_no_answer)" \
    "$(value burst_stalled)"
  printf '    codes in %s s, sign-ins in %s s   target: none failed\n' \
    "$(value burst_create_seconds)" "$(value burst_signin_seconds)"
fi
exit "$status"
