#!/usr/bin/env bash
# mirror.sh - how fast a witness mirrors another party's log, on loopback.
#
#   bench/mirror.sh [BUILD_DIR]
#
# Node A gets N entries (hh_fill_log: real DSSE envelopes signed by A's
# operator key) and serves them. Node B is configured to witness A in mirror
# mode ("log a ...", "log-signer a A/operator.vkey") and started; the time
# is taken from B's start until B's /v1/status shows the mirror holding all
# N entries: fetched as entry bundles (several in flight), every envelope's
# Ed25519 signature checked on all cores, hashed into the tree the signed
# root commits to, stored in batches of at most 65,536 entries (each proven
# part of the signed tree before it is written), the checkpoint last. The
# whole log is caught up in one check: there is no per-sync limit.
#
# Baselines in the same run, over the same log: the raw bundle download
# (curl, one connection), `henhouse verify` of the log through its tiles
# (the same fetch + hash + signature work, no store) on all cores, and the
# Ed25519 floor: raw verifies (hh_bench ed25519_verify) in one process per
# core at once, per wall-clock second, just before and just after the
# mirror; floor_s = N / that rate, ratio = floor_s / mirror_s. The old
# one-thread mirror did 9,052 entries/s on this machine (BENCHMARKS.md).
#
# Environment: N (200000), B_HH (the henhouse binary B runs, to compare
# builds on the same log; default BUILD_DIR's), LOG_DIR (a node directory to reuse or create and
# keep as A), FLOOR_S (3), POLL_S (0.2: how often B's status is polled; the
# time is known to within it). Everything listens on 127.0.0.1 and is
# killed at exit; B's directory is removed.
set -euo pipefail

BUILD=${1:-$(cd "$(dirname "$0")/.." && pwd)/build-perf}
HH=$BUILD/henhouse
B_HH=${B_HH:-$HH}
FILL=$BUILD/hh_fill_log
BENCH=$BUILD/hh_bench
N=${N:-200000}
CORES=$(nproc)
FLOOR_S=${FLOOR_S:-3}
POLL_S=${POLL_S:-0.2}

for tool in curl python3 "$HH" "$FILL" "$BENCH"; do
  command -v "$tool" >/dev/null || { echo "missing: $tool" >&2; exit 2; }
done

T=$(mktemp -d /tmp/hh-mirror.XXXXXX)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$T"
}
trap cleanup EXIT INT TERM

now() { date +%s.%N; }
load() { cut -d' ' -f1-3 /proc/loadavg; }
# serve DIR [BINARY] : starts a node server; sets URL.
serve() {
  local out=$T/serve.$RANDOM
  "${2:-$HH}" serve "$1" --listen 127.0.0.1:0 >"$out" 2>>"$T/$(basename "$1").serve.log" &
  PIDS+=($!)
  URL=""
  for _ in $(seq 1 400); do
    URL=$(sed -n 's/^listening on //p' "$out")
    [ -n "$URL" ] && return 0
    sleep 0.025
  done
  echo "server did not start: $(tail -n 3 "$T/$(basename "$1").serve.log")" >&2
  return 1
}
rate() { python3 -c "import sys; print('%.0f' % (float(sys.argv[1]) / (float(sys.argv[3]) - float(sys.argv[2]))))" "$@"; }
# floor: raw Ed25519 verifies per wall-clock second, one hh_bench per core at once, summed.
floor() {
  local i
  for i in $(seq 1 "$CORES"); do
    "$BENCH" --seconds "$FLOOR_S" ed25519_verify >"$T/floor.$i" &
  done
  wait
  cat "$T"/floor.* | awk '$1 == "ed25519_verify" {s += $2} END {printf "%.0f\n", s}'
}

echo "== machine: $CORES cores, $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -n 1);" \
  "load $(load)"
A=${LOG_DIR:-$T/a} B=$T/b
if [ ! -f "$A/henhouse.conf" ]; then
  "$HH" init "$A" --party a --origin bench.example/a >/dev/null
  sed -i 's/^batch-max .*/batch-max 65536/' "$A/henhouse.conf"
  timeout 1800 "$FILL" "$A" "$N"
fi
serve "$A"; A_URL=$URL
A_PID=${PIDS[-1]}
ORIGIN=$(curl -s "$A_URL/checkpoint" | sed -n 1p)
N=$(curl -s "$A_URL/checkpoint" | sed -n 2p)
echo "== A: $ORIGIN, $N entries at $A_URL ($(du -m "$A/log.db" | cut -f1) MB database)"

echo "== baselines over the same log"
python3 - "$A_URL" "$N" >"$T/bundles.cfg" <<'EOF'
import sys
url, n = sys.argv[1], int(sys.argv[2])
def path(i):  # tlog-tiles: 3-digit groups, all but the last prefixed "x"
    g = []
    while True:
        g.insert(0, "%03d" % (i % 1000)); i //= 1000
        if i == 0: break
    return "/".join(["x" + x for x in g[:-1]] + [g[-1]])
for i in range((n + 255) // 256):
    w = min(256, n - i * 256)
    print('url = "%s/tile/entries/%s%s"' % (url, path(i), "" if w == 256 else ".p/%d" % w))
    print('output = "/dev/null"')
EOF
t0=$(now); curl -s --fail -K "$T/bundles.cfg"; t1=$(now)
echo "   raw bundle download (curl, 1 connection):  $(rate "$N" "$t0" "$t1") entries/s"
TIMEFORMAT='%R %U %S'
{ time "$HH" verify "$A_URL" --vkey "$A/log.vkey" --signer "$A/operator.vkey" \
    --threads "$CORES" >/dev/null; } 2>"$T/time"
read -r real user sys <"$T/time"
python3 -c 'import sys; n, r, u, s = int(sys.argv[1]), *map(float, sys.argv[2:5])
print("   henhouse verify --threads %s:             %.0f entries/s, %.0f per CPU-second"
      % (sys.argv[5], n / r, n / (u + s)))' "$N" "$real" "$user" "$sys" "$CORES"

"$HH" init "$B" --party b --origin bench.example/b >/dev/null
mkdir -p "$B/peers"
cp "$A/log.vkey" "$B/peers/a.log.vkey"
cp "$A/operator.vkey" "$B/peers/a.operator.vkey"
cat >>"$B/henhouse.conf" <<EOF
log a $ORIGIN $A_URL peers/a.log.vkey
log-signer a peers/a.operator.vkey
EOF

echo "== B mirrors A (load $(load))"
f0=$(floor)
t0=$(now)
serve "$B" "$B_HH"; B_URL=$URL
t_up=$(now)
B_PID=${PIDS[-1]}
a0=$(awk '{print $14 + $15}' "/proc/$A_PID/stat")
size=0
for _ in $(seq 1 18000); do
  # cheap polling, and not too often: every poll starts three processes,
  # which on 2 cores took a visible share of the CPU from B at 50 ms
  size=$(curl -s --max-time 5 "$B_URL/v1/status" | grep -o '"mirror_size":[0-9]*' | cut -d: -f2)
  [ "${size:-0}" = "$N" ] && break
  sleep "$POLL_S"
done
t1=$(now)
b_cpu=$(awk '{print $14 + $15}' "/proc/$B_PID/stat")
b_rss=$(awk '/^VmHWM:/ {print $2}' "/proc/$B_PID/status")
a_cpu=$(( $(awk '{print $14 + $15}' "/proc/$A_PID/stat") - a0 ))
l1=$(load)
f1=$(floor)
[ "$size" = "$N" ] || { echo "mirror stuck at $size of $N: $(tail -n 3 "$T/b.serve.log")" >&2; exit 1; }
python3 - "$N" "$t0" "$t_up" "$t1" "$b_cpu" "$a_cpu" "$(getconf CLK_TCK)" "$f0" "$f1" "$l1" \
  "$b_rss" <<'EOF'
import sys
n, t0, tu, t1 = int(sys.argv[1]), *map(float, sys.argv[2:5])
b_cpu, a_cpu = (int(x) / int(sys.argv[7]) for x in sys.argv[5:7])
f0, f1 = float(sys.argv[8]), float(sys.argv[9])
floor = (f0 + f1) / 2
print("   mirrored %d entries in %.2f s from B's start (%.2f s to listening): %.0f entries/s"
      " (%.2fx the old 9,052/s)" % (n, t1 - t0, tu - t0, n / (t1 - t0), n / (t1 - t0) / 9052))
print("   CPU: B %.2f s (%.1f us per entry), A %.2f s serving; B busy %.0f%% of the wall;"
      " B's peak RSS %.0f MB" % (b_cpu, 1e6 * b_cpu / n, a_cpu, 100 * b_cpu / (t1 - t0),
                                 int(sys.argv[11]) / 1024))
print("   floor (same run) %.0f raw Ed25519 verifies/s on all cores (%.0f before, %.0f after)"
      " -> %.2f s: ratio floor/mirror %.3f; load at the end %s"
      % (floor, f0, f1, n / floor, n / floor / (t1 - t0), sys.argv[10]))
EOF
curl -s "$B_URL/v1/status" | python3 -c '
import json, sys
w = json.load(sys.stdin)["witnessed"][0]
print("   B status: mirror_size %s, cosigned_size %s, last_error %r" % (
    w.get("mirror_size"), w.get("cosigned_size"), w.get("last_error", "")))'
