#!/usr/bin/env bash
# The SQLite backend's tamper test for `henhouse verify`: with the server
# stopped, the node's database (DIR/log.db) is changed through the sqlite3 CLI
# (an entry's bytes, then a stored leaf hash), and verify of the directory and
# of the served log must fail, naming the entry or the tile. Only this
# backend's tests may corrupt its data with its own tools; the backend-neutral
# verify tests are in test_verify.sh.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/node_lib.sh"
cd "$T"

N="$T/node"
SUBMIT_KEY="$N/operator.key"
verify() { "$HH" verify "$@" --vkey "$N/log.vkey"; }
signed() { verify "$@" --signer "$N/operator.vkey"; }
submit_n() { for i in $(seq "$1" "$2"); do statement "$i" v | "$HH" submit --node "$NODE_URL" --key "$SUBMIT_KEY" >/dev/null || return 1; done; }

check_true "the sqlite3 CLI is installed" command -v sqlite3
check "init" 0 node_init "$N" checkpoint-interval-ms 20
check_true "the node keeps its log in SQLite (log.db)" test -s "$N/log.db"
check "serve" 0 node_start "$N"
check "submit 20" 0 submit_n 1 20
check "size 20" 0 wait_size 20
check "the untampered log verifies" 0 signed "$N"

# --- tampering, with the server stopped -------------------------------------
check "stop" 0 node_stop
orig13=$(sqlite3 "$N/log.db" "SELECT hex(data) FROM entries WHERE idx = 13")
check_true "entry 13 read through sqlite3" test -n "$orig13"
sqlite3 "$N/log.db" "UPDATE entries SET data = CAST('{\"payload\":1}' AS BLOB) WHERE idx = 13"
check "tampered entry: DIR exits 1" 1 signed "$N"
check_true "names entry 13" grep -q "verify: entry 13 (tile/entries/000.p/20): malformed envelope" "$T/.err"
check "tampered entry: --json exits 1" 1 signed "$N" --json
check_true "json names entry 13" jq -e '.ok == false and (.error | startswith("entry 13 "))' "$T/.out"
check "serve the tampered node" 0 node_start "$N"
check "tampered entry: URL exits 1 too" 1 signed "$NODE_URL" --threads 1
check_true "with the same message" grep -q "verify: entry 13 (tile/entries/000.p/20): malformed envelope" "$T/.err"
check "stop again" 0 node_stop

sqlite3 "$N/log.db" "UPDATE entries SET data = X'$orig13' WHERE idx = 13"
check "restored entry: DIR verifies" 0 signed "$N"
sqlite3 "$N/log.db" "UPDATE nodes SET hash = zeroblob(32) WHERE level = 0 AND idx = 7"
check "tampered leaf hash: DIR exits 1" 1 signed "$N"
check_true "names the tile, hash and entry" grep -q "verify: tile/0/000.p/20: hash 7 (entry 7) expected [A-Za-z0-9+/=]\{44\} found AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=" "$T/.err"

finish
