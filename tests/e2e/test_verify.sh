#!/usr/bin/env bash
# End-to-end tests of `henhouse verify`: a served log over HTTP and the same
# node directory on disk, with the right and the wrong keys, an earlier
# checkpoint and JSON output (each failure must name what failed). Only the
# node's own interfaces are used, whatever its storage backend; the storage
# tamper tests are per backend (test_verify_tamper_sqlite.sh).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/node_lib.sh"
cd "$T"

N="$T/node"
SUBMIT_KEY="$N/operator.key"
verify() { "$HH" verify "$@" --vkey "$N/log.vkey"; }
signed() { verify "$@" --signer "$N/operator.vkey"; }
submit_n() { for i in $(seq "$1" "$2"); do statement "$i" v | "$HH" submit --node "$NODE_URL" --key "$SUBMIT_KEY" >/dev/null || return 1; done; }

check "verify --help" 0 "$HH" verify --help
check "verify without --vkey is usage" 2 "$HH" verify http://127.0.0.1:1
check "verify with two targets is usage" 2 "$HH" verify a b --vkey x
check "init" 0 node_init "$N" checkpoint-interval-ms 20
check "verify --threads 0 is usage" 2 signed "$N" --threads 0
check "verify --threads 65 is usage" 2 signed "$N" --threads 65
check "a directory that is not a node is exit 2" 2 verify "$T"
check_true "and says so" grep -q "neither an http(s) URL nor a node directory" "$T/.err"
check "the empty log verifies" 0 signed "$N"

check "serve" 0 node_start "$N"
check "submit 10" 0 submit_n 1 10
check "size 10" 0 wait_size 10
curl -s "$NODE_URL/checkpoint" >old10
check "submit 10 more" 0 submit_n 11 20
check_true "size 20" wait_size 20

check "verify URL" 0 signed "$NODE_URL"
check_true "summary names the size" grep -q "size *20$" "$T/.out"
check_true "summary counts the entries" grep -q "entries *20, each signed" "$T/.out"
check "verify URL/ (trailing slash)" 0 signed "$NODE_URL/"
check "verify --json" 0 signed "$NODE_URL" --json
check_true "json says ok" jq -e '.ok == true and .size == 20 and .entries == 20 and .tiles == 1 and (.root | length) == 44' "$T/.out"
check "verify --threads 1" 0 signed "$NODE_URL" --threads 1
check "verify without --signer" 0 verify "$NODE_URL"
check_true "says signatures were not checked" grep -q "signatures not checked" "$T/.out"
check "verify --old (size 10)" 0 signed "$NODE_URL" --old old10
check_true "says consistent" grep -q "old *size 10: consistent" "$T/.out"
check "verify --old --json" 0 signed "$NODE_URL" --old old10 --json
check_true "json old_size" jq -e '.old_size == 10' "$T/.out"
check "verify DIR while serving" 0 signed "$N"

"$HH" keygen example.org/us -o "$T" >/dev/null
"$HH" keygen example.org/mallory -o "$T" >/dev/null
check "a wrong --vkey exits 1" 1 "$HH" verify "$NODE_URL" --vkey "$T/example.org_us.vkey"
check_true "names the checkpoint" grep -q "verify: checkpoint: signature by example.org/us" "$T/.err"
check "the witness key as --vkey exits 1" 1 "$HH" verify "$NODE_URL" --vkey "$N/witness.vkey"
check "a stranger's --signer exits 1" 1 verify "$NODE_URL" --signer "$T/example.org_mallory.vkey"
check_true "names entry 0" grep -q "entry 0 (tile/entries/000.p/20): signature does not verify under any signer" "$T/.err"
check "a stranger and the operator pass" 0 verify "$NODE_URL" --signer "$T/example.org_mallory.vkey" --signer "$N/operator.vkey"
check "a stranger's --json exits 1" 1 verify "$NODE_URL" --signer "$T/example.org_mallory.vkey" --json
check_true "json says not ok, with the error" jq -e '.ok == false and (.error | startswith("entry 0 ")) and .size == 20' "$T/.out"

# A checkpoint of another log (another key), served by that log's node.
mkdir other && node_init other/n
main_pid=$NODE_PID main_url=$NODE_URL
check "serve another log" 0 node_start other/n
curl -s "$NODE_URL/checkpoint" >other-cp
check "stop the other log" 0 node_stop
NODE_PID=$main_pid NODE_URL=$main_url
check "--old from another log (another key) exits 1" 1 signed "$NODE_URL" --old other-cp
check_true "names the old checkpoint" grep -q "verify: old checkpoint: signature" "$T/.err"
check "--old that is not a note exits 2" 2 signed "$NODE_URL" --old "$N/henhouse.conf"
check "--old missing file exits 2" 2 signed "$NODE_URL" --old nosuch
check "an unreachable URL exits 2" 2 signed http://127.0.0.1:1
check "a URL without a log (404) exits 2" 2 signed "$NODE_URL/nope"
check_true "names the path and the status" grep -q "checkpoint: HTTP status 404" "$T/.err"

check "stop" 0 node_stop

finish
