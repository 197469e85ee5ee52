#!/usr/bin/env bash
# cosign_latency.sh - time from submitting a statement to a checkpoint of the
# log that includes it and carries the cosignatures of all its witnesses.
#
#   bench/cosign_latency.sh [BUILD_DIR]
#
# Three nodes on loopback, as in the witness tests: us and ru witness each
# other in mirror mode, osce witnesses both in plain mode; us and ru name
# their witnesses with "witness NAME URL VKEYFILE" lines. RATE statements a
# second are submitted to us for DURATION seconds (POST /v1/statements, the
# envelopes signed beforehand with `henhouse dsse sign`), each on its own
# connection; a poller reads us's /checkpoint every POLL_MS and notes when a
# checkpoint of size >= index + 1 first carries both ru's and osce's
# cosignatures (recognised by key name and key id; the last checkpoint is
# verified in full with `henhouse note verify`). Prints p50/p90/p99/max of
# submit -> durable (the POST's answer) and submit -> fully cosigned.
#
# Environment: RATE (20), DURATION (30), POLL_MS (10), BATCH_MS and PEER_MS
# (unset: the node defaults, batch-interval-ms 500 and peer-interval-ms 1000).
# Everything listens on 127.0.0.1 and is killed at exit.
set -euo pipefail

BUILD=${1:-$(cd "$(dirname "$0")/.." && pwd)/build-perf}
HH=$BUILD/henhouse
RATE=${RATE:-20}
DURATION=${DURATION:-30}
POLL_MS=${POLL_MS:-10}

for tool in curl python3 "$HH"; do
  command -v "$tool" >/dev/null || { echo "missing: $tool" >&2; exit 2; }
done

T=$(mktemp -d /tmp/hh-cosign.XXXXXX)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$T"
}
trap cleanup EXIT INT TERM

declare -A PORT
read -r 'PORT[us]' 'PORT[ru]' 'PORT[osce]' < <(python3 -c '
import socket
ss = [socket.socket() for _ in range(3)]
for s in ss: s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in ss))')
url() { echo "http://127.0.0.1:${PORT[$1]}"; }
origin() { echo "bench.example/$1"; }

for n in us ru osce; do
  "$HH" init "$T/$n" --party "$n" --origin "$(origin "$n")" >/dev/null
  mkdir "$T/$n/peers"
  [ -n "${BATCH_MS:-}" ] && sed -i "s/^batch-interval-ms .*/batch-interval-ms $BATCH_MS/" "$T/$n/henhouse.conf"
  [ -n "${PEER_MS:-}" ] && sed -i "s/^peer-interval-ms .*/peer-interval-ms $PEER_MS/" "$T/$n/henhouse.conf"
done
# witnesses WITNESS LOG MODE
witnesses() {
  cp "$T/$2/log.vkey" "$T/$1/peers/$2.log.vkey"
  cp "$T/$2/operator.vkey" "$T/$1/peers/$2.operator.vkey"
  printf 'log %s %s %s peers/%s.log.vkey\nlog-mode %s %s\n' "$2" "$(origin "$2")" "$(url "$2")" \
    "$2" "$2" "$3" >>"$T/$1/henhouse.conf"
  [ "$3" = mirror ] && echo "log-signer $2 peers/$2.operator.vkey" >>"$T/$1/henhouse.conf"
  cp "$T/$1/witness.vkey" "$T/$2/peers/$1.witness.vkey"
  echo "witness $1 $(url "$1") peers/$1.witness.vkey" >>"$T/$2/henhouse.conf"
}
witnesses ru us mirror
witnesses us ru mirror
witnesses osce us plain
witnesses osce ru plain

for n in us ru osce; do
  "$HH" serve "$T/$n" --listen "127.0.0.1:${PORT[$n]}" >"$T/$n.out" 2>"$T/$n.err" &
  PIDS+=($!)
done
for n in us ru osce; do
  for _ in $(seq 1 200); do grep -q '^listening on' "$T/$n.out" && break; sleep 0.05; done
  grep -q '^listening on' "$T/$n.out" || { echo "$n did not start: $(cat "$T/$n.err")" >&2; exit 1; }
done
echo "== machine: $(nproc) cores; load $(cut -d' ' -f1-3 /proc/loadavg);" \
  "us: $(grep -E '^(batch-interval-ms|peer-interval-ms)' "$T/us/henhouse.conf" | tr '\n' ' ')"

COUNT=$((RATE * DURATION))
echo "== signing $COUNT statements"
mkdir "$T/env"
for i in $(seq 1 "$COUNT"); do
  printf '{"kind":"notice","from":"us","to":["ru"],"subject":"latency %s","body":"%s"}\n' \
    "$i" "$(printf '%0400d' 0 | tr 0 x)" |
    "$HH" dsse sign --type application/vnd.henhouse.statement+json "$T/us/operator.key" \
      >"$T/env/$i.json"
done

echo "== load: $RATE statements/s for $DURATION s to us, polling every $POLL_MS ms"
timeout $((DURATION + 120)) python3 - "$(url us)" "$T/env" "$COUNT" "$RATE" "$POLL_MS" \
  "$T/ru/witness.vkey" "$T/osce/witness.vkey" "$T/last.checkpoint" <<'EOF'
import base64, http.client, json, os, sys, threading, time
base, envdir, count, rate, poll_ms = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5])
vkeys, last_path = sys.argv[6:8], sys.argv[8]
host, port = base.split("//")[1].split(":")

def key_of(path):  # (name, key id) of a verifier key file "name+hex+base64"
    name, hexid, _ = open(path).read().strip().split("+", 2)
    return name, bytes.fromhex(hexid)
want = [key_of(p) for p in vkeys]

def cosigners(note):
    found = set()
    for line in note.split("\n"):
        if line.startswith("\u2014 "):
            _, name, b64 = line.split(" ")
            kid = base64.b64decode(b64)[:4]
            for i, (n, k) in enumerate(want):
                if n == name and k == kid:
                    found.add(i)
    return found

envs = [open(os.path.join(envdir, "%d.json" % (i + 1)), "rb").read() for i in range(count)]
sent, durable, index = [None] * count, [None] * count, [None] * count
full_at = {}          # checkpoint size -> first time seen fully cosigned
errors = []
stop = threading.Event()
last_note = [""]

def poller():
    c = http.client.HTTPConnection(host, int(port), timeout=10)
    while not stop.is_set():
        try:
            c.request("GET", "/checkpoint")
            note = c.getresponse().read().decode()
        except Exception:
            c = http.client.HTTPConnection(host, int(port), timeout=10)
            continue
        t = time.monotonic()
        size = int(note.split("\n")[1])
        if len(cosigners(note)) == len(want) and size not in full_at:
            full_at[size] = t
            last_note[0] = note
        time.sleep(poll_ms / 1000)

def submit(i):
    c = http.client.HTTPConnection(host, int(port), timeout=60)
    sent[i] = time.monotonic()
    try:
        c.request("POST", "/v1/statements", envs[i], {"Content-Type": "application/json"})
        r = c.getresponse()
        body = r.read()
        if r.status not in (200, 201):
            errors.append((i, r.status, body[:200]))
            return
        durable[i] = time.monotonic()
        index[i] = json.loads(body)["index"]
    except Exception as e:
        errors.append((i, "exception", str(e)))

pt = threading.Thread(target=poller, daemon=True)
pt.start()
threads, t0 = [], time.monotonic()
for i in range(count):
    delay = t0 + i / rate - time.monotonic()
    if delay > 0:
        time.sleep(delay)
    th = threading.Thread(target=submit, args=(i,))
    th.start()
    threads.append(th)
for th in threads:
    th.join()
submitted_at = time.monotonic() - t0
top = max(x for x in index if x is not None) + 1 if any(x is not None for x in index) else 0
deadline = time.monotonic() + 60
while time.monotonic() < deadline and not any(s >= top for s in full_at):
    time.sleep(0.05)
stop.set()
pt.join()

def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))] if xs else float("nan")
lat_d = [(durable[i] - sent[i]) * 1000 for i in range(count) if durable[i] is not None]
sizes = sorted(full_at)
lat_c, missing = [], 0
for i in range(count):
    if index[i] is None:
        continue
    ts = [full_at[s] for s in sizes if s >= index[i] + 1]
    if not ts:
        missing += 1
        continue
    lat_c.append((min(ts) - sent[i]) * 1000)
print("   submitted %d in %.1f s (%.1f/s), %d errors, %d never seen fully cosigned" % (
    count, submitted_at, count / submitted_at, len(errors), missing))
for name, xs in (("submit -> durable (POST answered)", lat_d),
                 ("submit -> cosigned by ru and osce", lat_c)):
    print("   %-34s p50 %7.1f ms  p90 %7.1f ms  p99 %7.1f ms  max %7.1f ms  (n=%d)" % (
        name, pct(xs, 50), pct(xs, 90), pct(xs, 99), max(xs) if xs else float("nan"), len(xs)))
print("   fully cosigned checkpoints seen: %d (sizes %s..%s)" % (
    len(sizes), sizes[0] if sizes else "-", sizes[-1] if sizes else "-"))
for e in errors[:3]:
    print("   error:", e)
open(last_path, "w").write(last_note[0])
sys.exit(1 if errors or missing else 0)
EOF
echo "== the last fully cosigned checkpoint, verified in full:"
"$HH" note verify "$T/us/log.vkey" "$T/ru/witness.vkey" "$T/osce/witness.vkey" <"$T/last.checkpoint" |
  sed 's/^/   /'
