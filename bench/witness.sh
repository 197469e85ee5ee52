#!/usr/bin/env bash
# witness.sh - add-checkpoint throughput of one witness node for many logs.
#
#   bench/witness.sh [BUILD_DIR]
#
# Makes a witness node, gives it K plain-mode logs (hh_witness_load setup),
# serves it on loopback and drives it with hh_witness_load run: C keep-alive
# connections, each log advancing 1, 2, 3, ... with real consistency proofs
# and checkpoints signed by the log's key, for SECONDS after WARMUP. In the
# same run it measures the baselines each request is built on: raw Ed25519
# verify and sign rates, and the rate of write + fdatasync in the node's
# directory (before and after the load), and, while the load runs, the
# server's CPU time and its fsync/fdatasync calls (perf tracepoints).
#
# Environment: K (16: the most logs henhouse.conf accepts, HH_CONFIG_MAX_LOGS),
# C (64, at most K), DURATION (20 s), WARMUP (3), PEER_INTERVAL_MS (unset: the
# node's default). Everything listens on 127.0.0.1 and is killed at exit.
set -euo pipefail

BUILD=${1:-$(cd "$(dirname "$0")/.." && pwd)/build-perf}
HH=$BUILD/henhouse
LOAD=$BUILD/hh_witness_load
K=${K:-16}
C=${C:-64}
SECONDS_RUN=${DURATION:-20}
WARMUP=${WARMUP:-3}

for tool in curl python3 "$HH" "$LOAD"; do
  command -v "$tool" >/dev/null || { echo "missing: $tool" >&2; exit 2; }
done

T=$(mktemp -d /tmp/hh-witness.XXXXXX)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$T"
}
trap cleanup EXIT INT TERM

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

echo "== machine: $(nproc) cores, $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -n 1);" \
  "load $(cut -d' ' -f1-3 /proc/loadavg)"
W=$T/witness
"$HH" init "$W" --party osce --origin bench.example/witness >/dev/null
"$LOAD" setup "$W" "$K"
if [ -n "${PEER_INTERVAL_MS:-}" ]; then
  sed -i "s/^peer-interval-ms .*/peer-interval-ms $PEER_INTERVAL_MS/" "$W/henhouse.conf"
fi
echo "== witness config: $K plain-mode logs, $(wc -c <"$W/henhouse.conf") bytes," \
  "$(sed -n 's/^peer-interval-ms //p' "$W/henhouse.conf") ms peer interval"

"$HH" serve "$W" --listen 127.0.0.1:0 >"$T/serve.out" 2>"$T/serve.err" &
SERVER=$!
PIDS+=("$SERVER")
URL=""
for _ in $(seq 1 100); do
  URL=$(sed -n 's/^listening on //p' "$T/serve.out")
  [ -n "$URL" ] && break
  kill -0 "$SERVER" 2>/dev/null || { echo "witness did not start: $(cat "$T/serve.err")" >&2; exit 1; }
  sleep 0.05
done
[ -n "$URL" ] || { echo "witness did not start" >&2; exit 1; }

echo "== baselines before the load (this process, $W's file system)"
"$LOAD" baseline "$W" --seconds 2 | tee "$T/base1"

# Server CPU and fsync calls over the run (the counts include the warm-up).
t0=$(cpu_ticks "$SERVER")
PERF_OUT=$T/perf.txt
PERF_PID=""
if command -v perf >/dev/null &&
   perf stat -e syscalls:sys_enter_fdatasync -p "$SERVER" -- true >/dev/null 2>&1; then
  timeout $((WARMUP + SECONDS_RUN + 5)) perf stat -x, -o "$PERF_OUT" \
    -e syscalls:sys_enter_fdatasync,syscalls:sys_enter_fsync -p "$SERVER" \
    -- sleep $((WARMUP + SECONDS_RUN)) &
  PERF_PID=$!
  PIDS+=("$PERF_PID")
fi
echo "== load: $K logs, C=$C, ${SECONDS_RUN}s after ${WARMUP}s warm-up"
set +e
timeout $((WARMUP + SECONDS_RUN + 60)) "$LOAD" run "$URL" "$W" "$K" --conns "$C" \
  --seconds "$SECONDS_RUN" --warmup "$WARMUP" | tee "$T/run"
status=${PIPESTATUS[0]}
set -e
t1=$(cpu_ticks "$SERVER")
[ -n "$PERF_PID" ] && { wait "$PERF_PID" 2>/dev/null || true; }
echo "== baselines after the load"
"$LOAD" baseline "$W" --seconds 2 | tee "$T/base2"

python3 - "$T" "$((t1 - t0))" "$(getconf CLK_TCK)" "$((WARMUP + SECONDS_RUN))" <<'EOF'
import sys, os
t, ticks, hz, wall = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
def kv(path, tag):
    for line in open(path):
        if line.startswith(tag):
            w = line.split()[1:]
            return {w[i]: float(w[i + 1]) for i in range(0, len(w) - 1, 2)}
    return {}
r = kv(f"{t}/run", "RESULT")
b = [kv(f"{t}/base1", "BASELINE"), kv(f"{t}/base2", "BASELINE")]
avg = lambda k: (b[0][k] + b[1][k]) / 2
fs = None
if os.path.exists(f"{t}/perf.txt"):
    fs = sum(float(l.split(",")[0]) for l in open(f"{t}/perf.txt")
             if "sys_enter_f" in l and l.split(",")[0].replace(".", "").isdigit())
cpu = ticks / hz / wall
print("== summary")
print("   add-checkpoint     %8.0f req/s   p50 %.2f ms  p99 %.2f ms  (goal 2000/s: %s)" % (
    r["rps"], r["p50_ms"], r["p99_ms"], "met" if r["rps"] >= 2000 else "NOT met"))
print("   Ed25519 verify     %8.0f /CPU-s  sign %.0f /CPU-s -> crypto bound on 2 cores %.0f req/s "
      "(load uses %.0f%% of it)" % (avg("verify_per_s"), avg("sign_per_s"),
      avg("crypto_bound_2cores_per_s"), 100 * r["rps"] / avg("crypto_bound_2cores_per_s")))
print("   write+fdatasync    %8.0f /s (before %.0f, after %.0f) -> req/s per probe fsync %.2f" % (
    avg("fdatasync_per_s"), b[0]["fdatasync_per_s"], b[1]["fdatasync_per_s"],
    r["rps"] / avg("fdatasync_per_s")))
if fs is not None:
    print("   server fsync calls %8.0f over %.0f s = %.2f per cosigned request" % (
        fs, wall, fs / max(1.0, r["rps"] * wall)))
print("   server CPU         %8.2f cores busy on average (%.0f us CPU per request)" % (
    cpu, 1e6 * cpu / max(1.0, r["rps"])))
print("   client CPU         %8.2f cores" % r["client_cpu"])
EOF
exit "$status"
