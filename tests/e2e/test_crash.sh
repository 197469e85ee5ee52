#!/usr/bin/env bash
# Crash safety of a real node: rounds of concurrent submission ended by
# kill -9 at a random moment, then a restart. The submitters are `henhouse
# submit` loops and, when it was built beside henhouse, hh_load (bench/tools/
# load.c) with a few dozen keep-alive connections. After each restart:
#  - every statement the node acknowledged (id and index printed by
#    `henhouse submit`) is in the log at that index, with an inclusion proof;
#  - the whole log verifies (`henhouse verify`);
#  - no two checkpoints the node ever served (polled all the time) have the
#    same size and different roots, and the largest one served before the
#    kill, the first one after the restart and a random sample of the others
#    are consistent with the log (`henhouse verify --old`).
# tests/stress/crash_loop.sh runs the same with many rounds.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/node_lib.sh"
cd "$T"

ROUNDS=${HH_CRASH_ROUNDS:-3}          # kill -9 / restart cycles
ROUND_MS=${HH_CRASH_ROUND_MS:-2000}   # the kill comes at a random moment in 300..ROUND_MS ms
SUBMITTERS=${HH_CRASH_SUBMITTERS:-4}  # concurrent client loops; odd ones use --wait
BATCH_MS=${HH_CRASH_BATCH_MS:-20}     # checkpoint-interval-ms: many checkpoints per round
LOAD_CONNECTIONS=${HH_CRASH_LOAD_CONNECTIONS:-32}  # hh_load's connections (0: no hh_load)
VERIFY_SAMPLE=${HH_CRASH_VERIFY_SAMPLE:-4}  # random checkpoints a round checks with verify --old
OLD_ACK_SAMPLE=${HH_CRASH_OLD_ACK_SAMPLE:-2000}  # earlier rounds' acks looked up again each round
QUIET=${HH_CRASH_QUIET:-0}            # 1: print only failures and a line per round
LOAD="$(dirname "$HH")/hh_load"
[ -x "$LOAD" ] || { echo "   (no $LOAD: henhouse submit loops only)"; LOAD_CONNECTIONS=0; }

N="$T/node"
SUBMIT_KEY="$N/operator.key"
check "init" 0 node_init "$N" checkpoint-interval-ms "$BATCH_MS"
check "serve" 0 node_start "$N"
verify() { "$HH" verify "$NODE_URL" --vkey "$N/log.vkey" --signer "$N/operator.vkey" "$@"; }
rcheck() { # a check that is printed only when it fails, in quiet mode
  if [ "$QUIET" = 1 ]; then
    local before=$_failed; check "$@" >/dev/null
    [ "$_failed" -ne "$before" ] && echo "FAIL $1: $(head -c 300 "$T/.err")"
    return 0
  fi
  check "$@"
}
rcheck_true() {
  if [ "$QUIET" = 1 ]; then
    local before=$_failed; check_true "$@" >/dev/null
    [ "$_failed" -ne "$before" ] && echo "FAIL $1"
    return 0
  fi
  check_true "$@"
}

# verify_old_sample DIR : the largest checkpoint in DIR, its after-restart one
# and VERIFY_SAMPLE random others are consistent with the log.
verify_old_sample() {
  local f bad=0 largest
  largest=$(for f in "$1"/cp.*; do [ -f "$f" ] && echo "$(sed -n 2p "$f") $f"; done |
    sort -n | tail -n 1 | cut -d' ' -f2)
  for f in $largest "$1/after-restart" $(ls "$1"/cp.* 2>/dev/null | shuf -n "$VERIFY_SAMPLE"); do
    [ -f "$f" ] || continue
    if ! verify --old "$f" >/dev/null 2>"$T/.verr"; then
      echo "$f (size $(sed -n 2p "$f")): $(cat "$T/.verr")" >&2; bad=1
    fi
  done
  return $bad
}

mkdir -p cps
: >acked
start=$SECONDS
for r in $(seq 1 "$ROUNDS"); do
  rm -f "$T/stop" "$T/stop-poll"
  poll_checkpoints "cps/$r" &
  poller=$!
  subs=()
  load_pid=""
  for s in $(seq 1 "$SUBMITTERS"); do
    wait_flag=""; [ $((s % 2)) = 1 ] && wait_flag=--wait
    submitter "acked.$r.$s" "r$r-s$s" 1000000 $wait_flag &
    subs+=($!)
  done
  if [ "$LOAD_CONNECTIONS" -gt 0 ]; then
    "$LOAD" --node "$NODE_URL" --dir "$N" --seconds 600 --count 3000 --wait-every 10 \
      --concurrency "$LOAD_CONNECTIONS" --tag "round$r" --acks "acked.$r.load" \
      >"load.$r.out" 2>&1 &
    load_pid=$!
    subs+=("$load_pid")
    # The kill comes after hh_load has pre-signed its statements and started sending.
    wait_for 10 grep -qs submitting "load.$r.out"
  fi
  PIDS+=("$poller" "${subs[@]}")
  # The kill lands at a random moment (the one sleep that waits for no event).
  delay=$((300 + RANDOM % (ROUND_MS > 300 ? ROUND_MS - 300 : 1)))
  sleep "$(printf '%d.%03d' $((delay / 1000)) $((delay % 1000)))"
  kill -9 "$NODE_PID"
  wait "$NODE_PID" 2>/dev/null
  touch "$T/stop" "$T/stop-poll"
  [ -n "$load_pid" ] && kill -TERM "$load_pid" 2>/dev/null  # hh_load stops on TERM
  for p in "$poller" "${subs[@]}"; do wait "$p"; done
  # This round's acknowledgements, and a sample of the earlier ones.
  cat acked."$r".* >"acked.$r" 2>/dev/null
  round_acked=$(wc -l <"acked.$r")
  shuf -n "$OLD_ACK_SAMPLE" acked >"check.$r"
  cat "acked.$r" >>"check.$r"
  cat "acked.$r" >>acked

  rcheck "round $r: restart after kill -9" 0 node_start "$N"
  lookup_all "check.$r" lookups
  rcheck "round $r: $round_acked acknowledged ids (and $(($(wc -l <"check.$r") - round_acked)) earlier) are logged at their index" 0 \
    lookups_match "check.$r" lookups
  rcheck "round $r: log verifies" 0 verify
  curl -s "$NODE_URL/checkpoint" >"cps/$r/after-restart"
  rcheck "round $r: largest, first-after-restart and $VERIFY_SAMPLE more checkpoints consistent" 0 \
    verify_old_sample "cps/$r"
  rcheck "round $r: no two checkpoints ever seen have one size and two roots" 0 \
    checkpoints_agree cps/*/*
  echo "   round $r: killed after ${delay} ms, $round_acked acknowledged, log size $(tree_size)," \
    "$(ls "cps/$r" | wc -l) checkpoints seen, $((SECONDS - start)) s so far"
done
rcheck_true "statements were acknowledged" test "$(wc -l <acked)" -gt 0
rcheck_true "serve log has no sanitizer report" bash -c "! grep -q 'Sanitizer' '$N.serve.log'"
check "final SIGTERM: exit 0" 0 node_stop TERM
finish
