#!/usr/bin/env bash
# tiles_vs_nginx.sh - full-tile read throughput of `henhouse serve` beside
# nginx serving the very same tile bytes as static files, on loopback.
#
#   bench/tiles_vs_nginx.sh [BUILD_DIR]
#
# Makes a node with N entries (hh_fill_log), serves it, dumps every full
# tile through the node into a directory tree with the same paths, serves
# that tree with nginx, and runs the same wrk load (a random path from the
# list per request, keep-alive) against each, alternating ROUNDS times; nginx
# is tuned for static files (sendfile, open_file_cache, unlimited keep-alive
# requests, no access log). Two path sets: hash tiles (all full level-0 tiles
# and the full level-1 tile, 8 KiB each) and entry bundles (all full
# bundles, ~230 KiB each). Prints
# requests/s and server CPU time per request (henhouse; nginx master and
# workers) per run, the medians, and henhouse / nginx.
#
# With BASE_HH=/path/to/other/henhouse the other binary is measured too,
# on the same data, as a third server ("base"; e.g. a build without a change).
#
# Environment: N (70000), DUR (15 s per run), CONNS (64), THREADS (2),
# ROUNDS (3), NGINX_WORKERS (2), BASE_HH (unset). Needs wrk, nginx, curl,
# python3. Everything listens on 127.0.0.1 and is killed at exit.
set -euo pipefail

BUILD=${1:-$(cd "$(dirname "$0")/.." && pwd)/build-perf}
HH=$BUILD/henhouse
FILL=$BUILD/hh_fill_log
N=${N:-70000}
DUR=${DUR:-15}
CONNS=${CONNS:-64}
THREADS=${THREADS:-2}
ROUNDS=${ROUNDS:-3}
NGINX_WORKERS=${NGINX_WORKERS:-2}
BASE_HH=${BASE_HH:-}

for tool in wrk nginx curl python3 "$HH" "$FILL"; do
  command -v "$tool" >/dev/null || { echo "missing: $tool" >&2; exit 2; }
done

T=$(mktemp -d /tmp/hh-tiles.XXXXXX)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$T"
}
trap cleanup EXIT INT TERM

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# serve BIN DIR : starts a node server; sets URL (and appends its pid to PIDS).
serve() {
  local out=$T/serve.$RANDOM
  "$1" serve "$2" --listen 127.0.0.1:0 >"$out" 2>>"$T/serve.err" &
  PIDS+=($!)
  for _ in $(seq 1 100); do
    URL=$(sed -n 's/^listening on //p' "$out")
    [ -n "$URL" ] && return 0
    sleep 0.05
  done
  echo "server did not start: $(tail -n 3 "$T/serve.err")" >&2
  return 1
}

echo "== machine: $(nproc) cores, $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -n 1)"
echo "== load before start: $(cut -d' ' -f1-3 /proc/loadavg)"
"$HH" init "$T/node" --party bench --origin bench.example/tiles >/dev/null
timeout 600 "$FILL" "$T/node" "$N"
serve "$HH" "$T/node"; HH_URL=$URL
HH_PID=${PIDS[-1]}
BASE_URL="" BASE_PID=""
if [ -n "$BASE_HH" ]; then
  cp -a "$T/node" "$T/node-base" # its own copy: two servers never share a database
  serve "$BASE_HH" "$T/node-base"; BASE_URL=$URL
  BASE_PID=${PIDS[-1]}
fi

# Path lists: every full tile the checkpoint has.
full=$((N / 256))
: >"$T/hash.paths"; : >"$T/bundle.paths"
for i in $(seq 0 $((full - 1))); do
  printf '/tile/0/%03d\n' "$i" >>"$T/hash.paths"
  printf '/tile/entries/%03d\n' "$i" >>"$T/bundle.paths"
done
for i in $(seq 0 $((full / 256 - 1))); do printf '/tile/1/%03d\n' "$i" >>"$T/hash.paths"; done
echo "== $N entries: $(wc -l <"$T/hash.paths") full hash tiles, $(wc -l <"$T/bundle.paths") full bundles"

# The same bytes for nginx, fetched through the node (which also warms its cache).
mkdir -p "$T/www"
cat "$T/hash.paths" "$T/bundle.paths" | while read -r p; do
  printf 'url = "%s%s"\noutput = "%s/www%s"\n' "$HH_URL" "$p" "$T" "$p"
done >"$T/curl.cfg"
timeout 300 curl -s --fail --create-dirs -K "$T/curl.cfg"
chmod 755 "$T"; chmod -R a+rX "$T/www"
echo "== dumped $(find "$T/www" -type f | wc -l) files, $(du -sh "$T/www" | cut -f1)"

NGINX_PORT=$(free_port)
mkdir -p "$T/nginx"
cat >"$T/nginx/nginx.conf" <<EOF
worker_processes $NGINX_WORKERS;
daemon off;
pid $T/nginx/nginx.pid;
error_log $T/nginx/error.log;
events { worker_connections 4096; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  open_file_cache max=4096 inactive=60s;
  open_file_cache_valid 60s;
  keepalive_requests 1000000;
  keepalive_timeout 60;
  default_type application/octet-stream;
  client_body_temp_path $T/nginx; proxy_temp_path $T/nginx; fastcgi_temp_path $T/nginx;
  uwsgi_temp_path $T/nginx; scgi_temp_path $T/nginx;
  server {
    listen 127.0.0.1:$NGINX_PORT;
    root $T/www;
    location / { add_header Cache-Control "public, max-age=31536000, immutable"; }
  }
}
EOF
nginx -c "$T/nginx/nginx.conf" -p "$T/nginx" 2>>"$T/nginx/error.log" &
NGINX_PID=$!
PIDS+=("$NGINX_PID")
NGINX_URL=http://127.0.0.1:$NGINX_PORT
for _ in $(seq 1 100); do curl -s -o /dev/null "$NGINX_URL/" && break; sleep 0.05; done

# Byte-for-byte the same answer from both, for a sample of paths.
for p in $(sed -n '1p;$p' "$T/hash.paths") $(sed -n '1p;$p' "$T/bundle.paths"); do
  cmp -s <(curl -s "$HH_URL$p") <(curl -s "$NGINX_URL$p") || { echo "bytes differ: $p" >&2; exit 1; }
done

cat >"$T/rand.lua" <<'EOF'
local paths = {}
for line in io.lines(os.getenv("WRK_PATHS")) do paths[#paths + 1] = line end
math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16) % 1000)
request = function() return wrk.format("GET", paths[math.random(#paths)]) end
done = function(summary, latency, requests)
  local errs = summary.errors
  io.write(string.format("RESULT %.1f %d %d %.3f %.3f\n", summary.requests / (summary.duration / 1e6),
    errs.status, errs.connect + errs.read + errs.write + errs.timeout,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
EOF

# ticks PID : CPU clock ticks of PID and its children (nginx workers).
ticks() {
  local t=0 p
  for p in "$1" $(pgrep -P "$1" || true); do
    t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat")))
  done
  echo "$t"
}

# run NAME URL PATHS SET PID : one wrk run; appends "SET NAME rps cpu_us" to $T/results.
run() {
  local out c0 c1 cpu_us
  c0=$(ticks "$5")
  out=$(WRK_PATHS=$3 timeout $((DUR + 30)) wrk -t"$THREADS" -c"$CONNS" -d"${DUR}s" \
        -s "$T/rand.lua" "$2" | grep '^RESULT')
  c1=$(ticks "$5")
  read -r _ rps status sock p50 p99 <<<"$out"
  cpu_us=$(python3 -c 'import sys; print("%.1f" % ((int(sys.argv[2]) - int(sys.argv[1])) / int(sys.argv[3]) * 1e6 / (float(sys.argv[4]) * float(sys.argv[5]))))' \
           "$c0" "$c1" "$(getconf CLK_TCK)" "$rps" "$DUR")
  printf '   %-9s %8.0f req/s  %6.1f CPU-us/req  p50 %6.2f ms  p99 %7.2f ms  non-2xx %s  sock err %s\n' \
    "$1" "$rps" "$cpu_us" "$p50" "$p99" "$status" "$sock"
  [ "$status" = 0 ] || { echo "non-2xx answers from $1" >&2; exit 1; }
  echo "$4 $1 $rps $cpu_us" >>"$T/results"
}

: >"$T/results"
for set in hash bundle; do
  echo "== $set: wrk -t$THREADS -c$CONNS -d${DUR}s, random path of $(wc -l <"$T/$set.paths")"
  for _ in $(seq 1 "$ROUNDS"); do
    run henhouse "$HH_URL" "$T/$set.paths" "$set" "$HH_PID"
    run nginx "$NGINX_URL" "$T/$set.paths" "$set" "$NGINX_PID"
    [ -n "$BASE_URL" ] && run base "$BASE_URL" "$T/$set.paths" "$set" "$BASE_PID"
  done
done

echo "== medians (load after: $(cut -d' ' -f1-3 /proc/loadavg))"
python3 - "$T/results" <<'EOF'
import sys, statistics
rows = [l.split() for l in open(sys.argv[1])]
for s in ("hash", "bundle"):
    names = [n for n in ("henhouse", "nginx", "base") if any(r[0] == s and r[1] == n for r in rows)]
    med = {n: statistics.median(float(r[2]) for r in rows if r[0] == s and r[1] == n) for n in names}
    cpu = {n: statistics.median(float(r[3]) for r in rows if r[0] == s and r[1] == n) for n in names}
    line = "   %-6s req/s: henhouse %6.0f  nginx %6.0f  henhouse/nginx %.2f" % (
        s, med["henhouse"], med["nginx"], med["henhouse"] / med["nginx"])
    if "base" in med:
        line += "  | base %6.0f  base/nginx %.2f  henhouse/base %.2f" % (
            med["base"], med["base"] / med["nginx"], med["henhouse"] / med["base"])
    print(line)
    line = "   %-6s CPU-us/request: henhouse %.1f  nginx %.1f" % (s, cpu["henhouse"], cpu["nginx"])
    if "base" in cpu:
        line += "  base %.1f" % cpu["base"]
    print(line)
EOF
