#!/usr/bin/env bash
# mirror.sh - how fast a witness mirrors another party's log, on loopback.
#
#   bench/mirror.sh [BUILD_DIR]
#
# Node A gets N entries (hh_fill_log: real DSSE envelopes signed by A's
# operator key) and serves them. Node B is configured to witness A in mirror
# mode ("log a ...", "log-signer a A/operator.vkey") and started; the time
# is taken from B's start until B's /v1/status shows the mirror holding all
# N entries (fetched as entry bundles, hashed into the tree the signed root
# commits to, every envelope's Ed25519 signature checked, stored in one
# fsynced transaction). Baselines in the same run, over the same log: the
# raw bundle download (curl), `henhouse verify` of the log through its tiles
# (the same fetch + hash + signature work, no store) with 1 and 2 threads,
# and the raw Ed25519 verify rate.
#
# Environment: N (50000; one sync takes at most 65536, HH_MIRROR_MAX_SYNC).
# Everything listens on 127.0.0.1 and is killed at exit.
set -euo pipefail

BUILD=${1:-$(cd "$(dirname "$0")/.." && pwd)/build-perf}
HH=$BUILD/henhouse
FILL=$BUILD/hh_fill_log
LOAD=$BUILD/hh_witness_load
N=${N:-50000}

for tool in curl python3 "$HH" "$FILL" "$LOAD"; do
  command -v "$tool" >/dev/null || { echo "missing: $tool" >&2; exit 2; }
done
[ "$N" -le 65536 ] || { echo "N must be at most 65536 (one mirror sync)" >&2; exit 2; }

T=$(mktemp -d /tmp/hh-mirror.XXXXXX)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$T"
}
trap cleanup EXIT INT TERM

now() { date +%s.%N; }
# serve DIR : starts a node server; sets URL.
serve() {
  local out=$T/serve.$RANDOM
  "$HH" serve "$1" --listen 127.0.0.1:0 >"$out" 2>>"$1.serve.log" &
  PIDS+=($!)
  URL=""
  for _ in $(seq 1 200); do
    URL=$(sed -n 's/^listening on //p' "$out")
    [ -n "$URL" ] && return 0
    sleep 0.025
  done
  echo "server did not start: $(tail -n 3 "$1.serve.log")" >&2
  return 1
}
rate() { python3 -c "import sys; print('%.0f' % (float(sys.argv[1]) / (float(sys.argv[3]) - float(sys.argv[2]))))" "$@"; }

echo "== machine: $(nproc) cores, $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -n 1);" \
  "load $(cut -d' ' -f1-3 /proc/loadavg)"
A=$T/a B=$T/b
"$HH" init "$A" --party a --origin bench.example/a >/dev/null
timeout 600 "$FILL" "$A" "$N"
serve "$A"; A_URL=$URL
echo "== A: $N entries at $A_URL ($(du -m "$A/log.db" | cut -f1) MB database)"

echo "== baselines over the same log"
bundles=$(( (N + 255) / 256 ))
for i in $(seq 0 $((bundles - 1))); do
  w=256; [ $(( (i + 1) * 256 )) -gt "$N" ] && w=$((N - i * 256))
  if [ "$w" = 256 ]; then printf 'url = "%s/tile/entries/%03d"\n' "$A_URL" "$i"
  else printf 'url = "%s/tile/entries/%03d.p/%d"\n' "$A_URL" "$i" "$w"; fi
  echo 'output = "/dev/null"'
done >"$T/bundles.cfg"
t0=$(now); curl -s --fail -K "$T/bundles.cfg"; t1=$(now)
echo "   raw bundle download (curl, 1 connection):   $(rate "$N" "$t0" "$t1") entries/s"
TIMEFORMAT='%R %U %S'
for th in 1 2; do
  { time "$HH" verify "$A_URL" --vkey "$A/log.vkey" --signer "$A/operator.vkey" \
      --threads "$th" >/dev/null; } 2>"$T/time"
  read -r real user sys <"$T/time"
  python3 -c 'import sys; n, r, u, s = int(sys.argv[1]), *map(float, sys.argv[2:5])
print("   henhouse verify --threads %s (fetch+hash+sig): %.0f entries/s, %.0f per CPU-second"
      % (sys.argv[5], n / r, n / (u + s)))' "$N" "$real" "$user" "$sys" "$th"
done
"$LOAD" baseline "$T" --seconds 1 |
  awk '{print "   raw Ed25519 verify (1 thread):              " $11 " /s, " $3 " per CPU-second"}'

"$HH" init "$B" --party b --origin bench.example/b >/dev/null
mkdir -p "$B/peers"
cp "$A/log.vkey" "$B/peers/a.log.vkey"
cp "$A/operator.vkey" "$B/peers/a.operator.vkey"
cat >>"$B/henhouse.conf" <<EOF
log a bench.example/a $A_URL peers/a.log.vkey
log-signer a peers/a.operator.vkey
EOF

echo "== B mirrors A"
t0=$(now)
serve "$B"; B_URL=$URL
t_up=$(now)
B_PID=${PIDS[-1]} A_PID=${PIDS[0]}
a0=$(awk '{print $14 + $15}' "/proc/$A_PID/stat")
size=0
for _ in $(seq 1 6000); do
  # cheap polling (no interpreter start-up stealing CPU from the node)
  size=$(curl -s --max-time 5 "$B_URL/v1/status" | grep -o '"mirror_size":[0-9]*' | cut -d: -f2)
  [ "${size:-0}" = "$N" ] && break
  sleep 0.05
done
t1=$(now)
b_cpu=$(awk '{print $14 + $15}' "/proc/$B_PID/stat")
a_cpu=$(( $(awk '{print $14 + $15}' "/proc/$A_PID/stat") - a0 ))
[ "$size" = "$N" ] || { echo "mirror stuck at $size of $N: $(tail -n 3 "$B.serve.log")" >&2; exit 1; }
python3 - "$N" "$t0" "$t_up" "$t1" "$b_cpu" "$a_cpu" "$(getconf CLK_TCK)" <<'EOF'
import sys
n, t0, tu, t1 = int(sys.argv[1]), *map(float, sys.argv[2:5])
b_cpu, a_cpu = (int(x) / int(sys.argv[7]) for x in sys.argv[5:7])
print("   mirrored %d entries in %.2f s from B's start (%.2f s to listening): %.0f entries/s"
      % (n, t1 - t0, tu - t0, n / (t1 - t0)))
print("   CPU: B %.2f s (%.0f entries per B CPU-second), A %.2f s serving; B busy %.0f%% of the wall"
      % (b_cpu, n / max(b_cpu, 0.01), a_cpu, 100 * b_cpu / (t1 - t0)))
EOF
curl -s "$B_URL/v1/status" | python3 -c '
import json, sys
w = json.load(sys.stdin)["witnessed"][0]
print("   B status: mirror_size %s, cosigned_size %s, last_error %r" % (
    w.get("mirror_size"), w.get("cosigned_size"), w.get("last_error", "")))'
