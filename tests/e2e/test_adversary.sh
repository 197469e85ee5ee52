#!/usr/bin/env bash
# End-to-end tests of the adversary tool the witness tests rely on
# (tests/adversary/hh_adversary, built next to henhouse): a fork of a running
# node is a valid log that signs a different tree for a size the original
# already signed, and an entry appended by a stranger's key is in the signed
# log but fails the signer check. If these did not hold, the witness tests
# could pass without testing anything.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/node_lib.sh"
PROXY="$(cd "$(dirname "$0")/../adversary" && pwd)/tamper_proxy.py"
cd "$T"
ADV="$(dirname "$HH")/hh_adversary"

check "adversary --help" 0 "$ADV" --help
check "adversary without a command is usage" 2 "$ADV"

N="$T/node"
check "init" 0 node_init "$N" checkpoint-interval-ms 20
SUBMIT_KEY="$N/operator.key"
check "serve" 0 node_start "$N"
for i in 1 2 3 4 5; do
  statement "$i" orig | "$HH" submit --node "$NODE_URL" --key "$SUBMIT_KEY" --wait >/dev/null
done
check "original log reaches 5" 0 wait_size 5
curl -s "$NODE_URL/checkpoint" >orig5

# --- fork of a running node ------------------------------------------------------
check "fork a running node at 3" 0 "$ADV" fork "$N" "$T/fork" --keep 3
check_true "fork reports what it dropped" grep -q 'at size 3 (2 entries dropped)' "$T/.out"
check "fork into an existing directory fails" 2 "$ADV" fork "$N" "$T/fork" --keep 3
check "fork keeping more than the log holds fails" 2 "$ADV" fork "$N" "$T/fork2" --keep 9
check "fork without --keep is usage" 2 "$ADV" fork "$N" "$T/fork3"
check_true "fork keeps the keys private" test "$(stat -c %a "$T/fork/log.key")" = 600
check "forked directory verifies" 0 "$HH" verify "$T/fork" --vkey "$N/log.vkey" --signer "$N/operator.vkey"
check_true "forked directory is at size 3" grep -q '\b3\b' "$T/.out"
orig_pid=$NODE_PID orig_url=$NODE_URL
check "serve the fork" 0 node_start "$T/fork"
check_true "fork serves size 3" test "$(tree_size)" = 3
for i in 4 5; do
  statement "$i" other | "$HH" submit --node "$NODE_URL" --key "$SUBMIT_KEY" --wait >/dev/null
done
check "fork reaches 5 with other statements" 0 wait_size 5
curl -s "$NODE_URL/checkpoint" >fork5
check "fork's checkpoint is signed by the same log key" 0 "$HH" note verify "$N/log.vkey" <fork5
check_true "same size, different roots: a split view" \
  test "$(sed -n 2p orig5)" = "$(sed -n 2p fork5)" -a "$(sed -n 3p orig5)" != "$(sed -n 3p fork5)"
check "fork's log verifies" 0 "$HH" verify "$NODE_URL" --vkey "$N/log.vkey" --signer "$N/operator.vkey"
check "original checkpoint is not consistent with the fork" 1 \
  "$HH" verify "$NODE_URL" --vkey "$N/log.vkey" --old orig5
check "fork stops" 0 node_stop TERM

# --- an entry signed by a stranger -----------------------------------------------
NODE_PID=$orig_pid NODE_URL=$orig_url
check "original stops" 0 node_stop TERM
check "sign-unauthorised on the stopped node" 0 \
  "$ADV" sign-unauthorised "$N"
check_true "sign-unauthorised names the index" grep -qx 'index 5' "$T/.out"
check_true "sign-unauthorised names the intruder key" grep -q '^intruder example.org/us/intruder+' "$T/.out"
check "serve the original again" 0 node_start "$N"
check_true "the entry is in the signed log" test "$(tree_size)" = 6
check "the log still verifies without signer checks" 0 "$HH" verify "$NODE_URL" --vkey "$N/log.vkey" --old orig5
check "the signer check finds the intruder's entry" 1 \
  "$HH" verify "$NODE_URL" --vkey "$N/log.vkey" --signer "$N/operator.vkey"

# --- the tampering proxy -----------------------------------------------------------
python3 "$PROXY" "$NODE_URL" --flag "$T/tamper" >proxy.out 2>proxy.err &
PIDS+=($!)
wait_for 5 grep -q '^listening on ' proxy.out
PURL=$(sed -n 's/^listening on //p' proxy.out)
check_true "proxy starts" test -n "$PURL"
curl -s "$NODE_URL/tile/entries/000.p/6" >direct.bundle
curl -s "$PURL/tile/entries/000.p/6" >clean.bundle
check_true "proxy passes a bundle through while not tampering" cmp -s direct.bundle clean.bundle
touch "$T/tamper"
curl -s "$PURL/tile/entries/000.p/6" >tampered.bundle
check_true "tampered bundle has the same length" test "$(wc -c <tampered.bundle)" = "$(wc -c <direct.bundle)"
check_true "tampered bundle differs in exactly one byte" test "$(cmp -l direct.bundle tampered.bundle | wc -l)" = 1
check_true "proxy passes the checkpoint through" cmp -s <(curl -s "$PURL/checkpoint") <(curl -s "$NODE_URL/checkpoint")
check_true "proxy passes errors through" test "$(curl -s -o /dev/null -w '%{http_code}' "$PURL/nope")" = 404
check "verify through the tampering proxy fails" 1 "$HH" verify "$PURL" --vkey "$N/log.vkey"
rm -f "$T/tamper"
check "verify through the proxy passes once it stops tampering" 0 "$HH" verify "$PURL" --vkey "$N/log.vkey"
check "stop" 0 node_stop TERM
check "sign-unauthorised on a missing directory fails" 2 "$ADV" sign-unauthorised "$T/nosuch"

finish
