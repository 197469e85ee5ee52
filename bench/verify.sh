#!/usr/bin/env bash
# verify.sh - `henhouse verify URL --signer` of a large log over HTTP, against
# the Ed25519 floor measured in the same run.
#
#   bench/verify.sh [BUILD_DIR]
#
# Builds a log of N entries with hh_fill_log (real DSSE envelopes signed by
# the party's operator key; ~900 bytes each), serves it with `henhouse
# serve` on loopback and times, ROUNDS times, `henhouse verify URL --vkey
# log.vkey --signer operator.vkey --threads T`: every envelope's signature,
# every leaf and hash tile, the root. Each round is bracketed by the floor:
# raw Ed25519 verifies (hh_bench ed25519_verify, 100-byte messages) in one
# process per core at once, summed, per wall-clock second. floor_s = N /
# that rate is the time the signature checks alone would take on every
# core; ratio = floor_s / verify_s (1.0 would be no overhead at all; the
# server shares the same cores). The verifier's and the server's CPU time
# and the load average are printed with each round.
#
# Environment: N (1000000), ROUNDS (2), THREADS (nproc), VERIFY_HH (the
# henhouse binary that verifies, to compare builds; default BUILD_DIR's),
# FLOOR_S (3: seconds per floor measurement), LOG_DIR (a node directory to
# reuse or create and keep; filling 1,000,000 entries takes a minute or
# two), HASHONLY=1 to add a round without --signer.
set -euo pipefail

BUILD=${1:-$(cd "$(dirname "$0")/.." && pwd)/build-perf}
HH=$BUILD/henhouse
VERIFY_HH=${VERIFY_HH:-$HH}
FILL=$BUILD/hh_fill_log
BENCH=$BUILD/hh_bench
N=${N:-1000000}
ROUNDS=${ROUNDS:-2}
CORES=$(nproc)
THREADS=${THREADS:-$CORES}
FLOOR_S=${FLOOR_S:-3}

for tool in curl python3 /usr/bin/time "$HH" "$FILL" "$BENCH"; do
  command -v "$tool" >/dev/null || { echo "missing: $tool" >&2; exit 2; }
done

T=$(mktemp -d /tmp/hh-verify.XXXXXX)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$T"
}
trap cleanup EXIT INT TERM

load() { cut -d' ' -f1-3 /proc/loadavg; }
cpu_of() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# floor: raw Ed25519 verifies per wall-clock second, one hh_bench per core at
# once, summed; and per CPU-second of one thread (the mean), as "WALL CPU".
floor() {
  local i
  for i in $(seq 1 "$CORES"); do
    "$BENCH" --seconds "$FLOOR_S" ed25519_verify >"$T/floor.$i" &
  done
  wait
  cat "$T"/floor.* |
    awk '$1 == "ed25519_verify" {s += $2; c += $3; k++} END {printf "%.0f %.0f\n", s, c / k}'
}

# log: a node directory with N entries, at LOG_DIR if given.
LOG=${LOG_DIR:-$T/log}
if [ ! -f "$LOG/henhouse.conf" ]; then
  "$HH" init "$LOG" --party us --origin bench.example/us >/dev/null
  sed -i 's/^batch-max .*/batch-max 65536/' "$LOG/henhouse.conf"
  echo "== filling $N entries into $LOG"
  timeout 1800 "$FILL" "$LOG" "$N"
fi

"$HH" serve "$LOG" --listen 127.0.0.1:0 >"$T/serve.out" 2>"$T/serve.err" &
SERVER=$!
PIDS+=("$SERVER")
URL=""
for _ in $(seq 1 400); do
  URL=$(sed -n 's/^listening on //p' "$T/serve.out")
  [ -n "$URL" ] && break
  sleep 0.025
done
[ -n "$URL" ] || { echo "server did not start: $(tail -n 3 "$T/serve.err")" >&2; exit 1; }
SIZE=$(curl -s "$URL/checkpoint" | sed -n 2p)
[ "$SIZE" = "$N" ] || echo "note: the log at $LOG holds $SIZE entries, not $N; using $SIZE" >&2
N=$SIZE

echo "== $CORES cores, $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -n 1);" \
  "log of $N entries ($(du -m "$LOG/log.db" | cut -f1) MB) at $URL; load $(load)"
echo "   verify: $VERIFY_HH verify URL --vkey log.vkey --signer operator.vkey --threads $THREADS"

# round SIGNER_ARGS LABEL
round() {
  local f0 f1 s0 s1 l0 l1 real user sys rss
  l0=$(load)
  f0=$(floor)
  s0=$(cpu_of "$SERVER")
  /usr/bin/time -f "%e %U %S %M" -o "$T/time" \
    "$VERIFY_HH" verify "$URL" --vkey "$LOG/log.vkey" "$@" --threads "$THREADS" >"$T/out" || true
  read -r real user sys rss < <(tail -n 1 "$T/time")
  s1=$(cpu_of "$SERVER")
  f1=$(floor)
  l1=$(load)
  grep -q "^verified " "$T/out" || { echo "verify failed: $(cat "$T/out" "$T/time")" >&2; exit 1; }
  python3 - "$N" "$real" "$user" "$sys" "$f0" "$f1" "$s0" "$s1" "$(getconf CLK_TCK)" \
    "$l0" "$l1" "$LABEL" "$CORES" "$rss" <<'EOF'
import sys
n, real, user, sys_ = int(sys.argv[1]), *map(float, sys.argv[2:5])
(fw0, fc0), (fw1, fc1) = (map(float, a.split()) for a in sys.argv[5:7])
server = (int(sys.argv[8]) - int(sys.argv[7])) / int(sys.argv[9])
cores, cpu = int(sys.argv[13]), user + sys_
wall, percpu = (fw0 + fw1) / 2, (fc0 + fc1) / 2
print("   %-11s verify %.2f s (%.0f entries/s), client CPU %.1f s (%.1f us/entry), max RSS %.0f MB,"
      " server CPU %.1f s" % (sys.argv[12], real, n / real, cpu, 1e6 * cpu / n,
                              int(sys.argv[14]) / 1024, server))
print("   %-11s floor (same run) %.0f raw verifies/s on %d cores (%.0f before, %.0f after) -> %.2f s:"
      " ratio floor/verify %.3f" % ("", wall, cores, fw0, fw1, n / wall, n / wall / real))
print("   %-11s per CPU-second %.0f raw verifies/s/core -> idle %d-core floor %.2f s;"
      " client CPU ratio (floor CPU / client CPU) %.3f; load %s -> %s"
      % ("", percpu, cores, n / percpu / cores, n / percpu / cpu, sys.argv[10], sys.argv[11]))
EOF
}

for r in $(seq 1 "$ROUNDS"); do
  LABEL="round $r" round --signer "$LOG/operator.vkey"
done
if [ "${HASHONLY:-0}" = 1 ]; then
  LABEL="no --signer" round
fi
