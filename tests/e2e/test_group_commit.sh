#!/usr/bin/env bash
# test_group_commit.sh - no timer stands between a statement and its commit.
# With checkpoint-interval-ms at 10 s, one client submitting in sequence
# still gets every acknowledgement at once (one per commit), while
# checkpoints come at most every 10 s; a client that waits for a checkpoint
# gets one that covers its statement; the deprecated batch-interval-ms is
# still read, with a warning.
# Usage: test_group_commit.sh path/to/henhouse
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/node_lib.sh"
cd "$T" || exit 1

node_init n checkpoint-interval-ms 10000 || { echo "init failed"; exit 1; }
node_start n || exit 1
SUBMIT_KEY=n/operator.key
start=$SECONDS
submitter acked g 20
took=$((SECONDS - start))
check_true "20 statements acknowledged one after another" test "$(wc -l <acked 2>/dev/null)" = 20
check_true "no submission failed" test ! -s failures.acked
check_true "within a few seconds, with checkpoints 10 s apart (took ${took}s)" test "$took" -le 5
check_true "indexes 0..19 in order" test "$(cut -d' ' -f2 acked | tr '\n' ' ')" = "$(seq -s ' ' 0 19) "
size_now=$(tree_size)
check_true "the checkpoint lags: at most one since the first commit (size $size_now)" \
  test "${size_now:-0}" -lt 20
size_is() { [ "$(tree_size)" = "$1" ]; }
if wait_for 15 size_is 20; then pass "a checkpoint covers all 20 within the interval"
else fail "a checkpoint covers all 20 within the interval" "size $(tree_size)"; fi

statement 21 g >w.json
start=$SECONDS
check "submit --wait returns a covering checkpoint" 0 sh -c "'$HH' submit --wait --node $NODE_URL --key $SUBMIT_KEY <w.json >waited"
check_true "it waited for the checkpoint interval, not more (${SECONDS}-${start})" \
  test $((SECONDS - start)) -le 12
check_true "the checkpoint it printed covers index 20" \
  sh -c "grep -A2 '^example.org/us\$' waited | sed -n 2p | awk '{exit !(\$1 >= 21)}'"
check "clean stop" 0 node_stop

sed -i 's/^checkpoint-interval-ms .*/batch-interval-ms 50/' n/henhouse.conf
node_start n || exit 1
check_true "the deprecated key is read with a warning" \
  grep -q "warning: henhouse.conf:.*'batch-interval-ms' is deprecated; use 'checkpoint-interval-ms'" n.serve.log
check "clean stop" 0 node_stop
finish
