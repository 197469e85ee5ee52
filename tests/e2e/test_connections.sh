#!/usr/bin/env bash
# test_connections.sh - 1,000 concurrent submitting connections are all
# served by a node at its default configuration (max-connections 1024):
# every statement is logged and acknowledged, none waits for a timeout, the
# node stays within a memory bound, and the log verifies afterwards.
# Needs the hh_load tool built beside henhouse (bench/tools/load.c).
# Usage: test_connections.sh path/to/henhouse
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/node_lib.sh"
cd "$T" || exit 1
LOAD="$(dirname "$HH")/hh_load"
CONNECTIONS=1000
COUNT=${HH_CONNECTIONS_COUNT:-6000}
RSS_MAX_KB=${HH_CONNECTIONS_RSS_MAX_KB:-400000}
[ -x "$LOAD" ] || { echo "no hh_load beside $HH"; echo "0 passed, 1 failed"; exit 1; }
ulimit -n 8192 2>/dev/null || ulimit -n "$(ulimit -Hn)"

node_init n || { echo "init failed"; exit 1; }
check_true "max-connections is at its default, 1024" grep -q '^max-connections 1024$' n/henhouse.conf
node_start n || exit 1
check "$CONNECTIONS connections submit $COUNT statements" 0 \
  "$LOAD" --node "$NODE_URL" --dir n --concurrency "$CONNECTIONS" --count "$COUNT" \
  --seconds 120 --pid "$NODE_PID"
cp "$T/.out" load.out
check_true "every statement logged" grep -q "^sent $COUNT in .*: $COUNT logged (201), 0 duplicates (200), 0 HTTP errors, 0 transport errors" load.out
check_true "none answered after 5 s" grep -q "^slow answers: .*, 0 over 5 s" load.out
rss=$(sed -n 's/.*VmHWM \([0-9]*\) kB.*/\1/p' load.out)
check_true "node memory high-water ${rss:-?} kB <= $RSS_MAX_KB kB" test "${rss:-999999999}" -le "$RSS_MAX_KB"
wait_size "$COUNT" || fail "a checkpoint covers all $COUNT"
check "the log verifies" 0 "$HH" verify "$NODE_URL" --vkey n/log.vkey --signer n/operator.vkey
check "clean stop" 0 node_stop
finish
