#!/usr/bin/env bash
# ingest.sh - how fast a node takes statements in, on loopback (BENCHMARKS.md,
# "Node ingest").
#
#   bench/ingest.sh [BUILD_DIR]
#
# Makes a fresh node (fsync on, as by default), serves it, and runs hh_load
# (bench/tools/load.c) against it: COUNT statements with ~500-byte payloads,
# pre-signed with the node's operator key, POSTed over CONCURRENCY keep-alive
# connections for SECONDS seconds; 1 in 100 asks ?wait=checkpoint. hh_load
# first measures the raw Ed25519 verify rate (1 s on one core, 1 s on all),
# and reads the node's VmRSS/VmHWM at the end. Then `henhouse verify` checks
# the whole log, so every statement counted is known to be really logged.
#
# Environment: SECONDS_RUN (60), CONCURRENCY (256), COUNT (400000),
# INTERVAL_MS (the node's checkpoint-interval-ms; empty: the default).
# Everything listens on 127.0.0.1 and is killed at exit.
set -euo pipefail

BUILD=${1:-$(cd "$(dirname "$0")/.." && pwd)/build}
HH=$BUILD/henhouse
LOAD=$BUILD/hh_load
SECONDS_RUN=${SECONDS_RUN:-60}
CONCURRENCY=${CONCURRENCY:-256}
COUNT=${COUNT:-400000}
INTERVAL_MS=${INTERVAL_MS:-}

for tool in curl "$HH" "$LOAD"; do
  command -v "$tool" >/dev/null || { echo "missing: $tool" >&2; exit 2; }
done

T=$(mktemp -d /tmp/hh-ingest.XXXXXX)
NODE_PID=""
cleanup() {
  [ -n "$NODE_PID" ] && kill "$NODE_PID" 2>/dev/null && wait "$NODE_PID" 2>/dev/null
  rm -rf "$T"
}
trap cleanup EXIT INT TERM

echo "== machine: $(nproc) cores, $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -n 1);" \
  "load $(cut -d' ' -f1-3 /proc/loadavg)"
N=$T/node
"$HH" init "$N" --party us --origin bench.example/us >/dev/null
if [ -n "$INTERVAL_MS" ]; then
  sed -i "s/^checkpoint-interval-ms .*/checkpoint-interval-ms $INTERVAL_MS/" "$N/henhouse.conf"
fi
echo "== node config: $(grep -E '^(checkpoint-interval-ms|batch-max|max-connections|threads) ' \
  "$N/henhouse.conf" | tr '\n' ' ')"
"$HH" serve "$N" --listen 127.0.0.1:0 >"$T/serve.out" 2>"$T/serve.log" &
NODE_PID=$!
URL=""
for _ in $(seq 1 200); do
  URL=$(sed -n 's/^listening on //p' "$T/serve.out")
  [ -n "$URL" ] && break
  sleep 0.025
done
[ -n "$URL" ] || { echo "server did not start: $(tail -n 3 "$T/serve.log")" >&2; exit 1; }

echo "== hh_load --node $URL --dir NODE --seconds $SECONDS_RUN --concurrency $CONCURRENCY" \
  "--count $COUNT --pid $NODE_PID --verify-rate"
cpu0=$(awk '{print $14 + $15}' "/proc/$NODE_PID/stat")
"$LOAD" --node "$URL" --dir "$N" --seconds "$SECONDS_RUN" --concurrency "$CONCURRENCY" \
  --count "$COUNT" --pid "$NODE_PID" --verify-rate || echo "(hh_load exit $?)"
cpu1=$(awk '{print $14 + $15}' "/proc/$NODE_PID/stat")
logged=$(curl -s "$URL/checkpoint" | sed -n 2p)
awk -v t=$((cpu1 - cpu0)) -v hz="$(getconf CLK_TCK)" -v n="$logged" 'BEGIN {
  printf "   node CPU during the run: %.1f s (user+system), %.0f us per statement logged (%d)\n",
    t / hz, n ? 1e6 * t / hz / n : 0, n }'
echo "   database: $(du -cm "$N"/log.db* | tail -n 1 | cut -f1) MB"
echo "== henhouse verify of the whole log"
"$HH" verify "$URL" --vkey "$N/log.vkey" --signer "$N/operator.vkey"
