#!/usr/bin/env bash
# End-to-end tests of a real node on loopback: concurrent submission, lookup
# with inclusion proofs, duplicates, whole-log verification, a restart with a
# consistency check, and bad or hostile requests (each answered with the right
# status and a JSON error, logging nothing, the node serving on).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/node_lib.sh"
cd "$T"

SUBMITTERS=8           # concurrent client processes
PER_SUBMITTER=25       # statements each: 200 in all
MORE_AFTER_RESTART=24  # statements submitted after the restart (by 4 `henhouse submit` loops)
IDLE_CONNECTIONS=200   # idle TCP connections held open while serving
REQUEST_TIMEOUT=3      # the node's request-timeout-s, so slow clients are cut off quickly
TOTAL=$((SUBMITTERS * PER_SUBMITTER))

N="$T/node"
check "init" 0 node_init "$N" checkpoint-interval-ms 50 request-timeout-s "$REQUEST_TIMEOUT"
SUBMIT_KEY="$N/operator.key"
verify() { "$HH" verify "$NODE_URL" --vkey "$N/log.vkey" --signer "$N/operator.vkey" "$@"; }

check "serve" 0 node_start "$N"
check_true "checkpoint of the empty log" test "$(tree_size)" = 0
curl -s "$NODE_URL/checkpoint" >cp0
check "empty checkpoint is signed by the log key" 0 "$HH" note verify "$N/log.vkey" <cp0

# --- 200 statements from 8 concurrent clients ---------------------------------
# The clients are hh_load processes (bench/tools/load.c, built beside henhouse:
# pre-signed envelopes over keep-alive connections, some asking
# ?wait=checkpoint), or `henhouse submit` loops when hh_load is not built.
# `henhouse submit` itself is exercised below (duplicates, after the restart).
LOAD="$(dirname "$HH")/hh_load"
start=$SECONDS
subs=()
for s in $(seq 1 "$SUBMITTERS"); do
  if [ -x "$LOAD" ]; then
    "$LOAD" --node "$NODE_URL" --dir "$N" --count "$PER_SUBMITTER" --concurrency 5 \
      --wait-every 5 --tag "c$s" --acks "acked.$s" >"load.$s.out" 2>&1 ||
      echo "hh_load $s: exit $?: $(cat "load.$s.out")" >>failures.acked &
  else
    submitter "acked.$s" "c$s" "$PER_SUBMITTER" &
  fi
  subs+=($!)
done
PIDS+=("${subs[@]}")
wait_submitters() { for p in "$@"; do wait "$p"; done; }
wait_submitters "${subs[@]}"
echo "   ($TOTAL submissions by $SUBMITTERS clients in $((SECONDS - start)) s)"
for s in $(seq 1 "$SUBMITTERS"); do cat "acked.$s"; done >acked 2>/dev/null
check_true "no submission failed" bash -c "! cat failures.acked* 2>/dev/null | grep -q ."
check_true "$TOTAL acknowledged" test "$(wc -l <acked)" -eq "$TOTAL"
check_true "ids are distinct" test "$(cut -d' ' -f1 acked | sort -u | wc -l)" -eq "$TOTAL"
check_true "indexes are exactly 0..$((TOTAL - 1))" \
  cmp <(cut -d' ' -f2 acked | sort -n) <(seq 0 $((TOTAL - 1)))
check "checkpoint reaches $TOTAL" 0 wait_size "$TOTAL"
lookup_all acked lookups
check "every id is served at its index with an inclusion proof" 0 lookups_match acked lookups
id0=$(head -n 1 acked | cut -d' ' -f1)
http GET "/v1/statements/$id0" >/dev/null
check_true "statement lookup carries the envelope and a checkpoint" \
  grep -q '"envelope":{.*"payloadType":.*"checkpoint":"example.org/us\\n' "$T/.body"
check "whole log verifies" 0 verify
check_true "verify names the size" grep -q "$TOTAL" "$T/.out"
curl -s "$NODE_URL/checkpoint" >cp1
check "checkpoint verifies" 0 "$HH" note verify "$N/log.vkey" <cp1
check "old (empty) checkpoint is consistent" 0 verify --old cp0

# --- duplicates ---------------------------------------------------------------
statement 1 again >dup.json
check "submit a payload" 0 sh -c "'$HH' submit --node $NODE_URL --key $SUBMIT_KEY <dup.json"
TOTAL=$((TOTAL + 1))
first=$(sed -n 's/^index //p' "$T/.out")
check_true "its index is the next one" test "$first" = $((TOTAL - 1))
"$HH" dsse sign --type application/vnd.henhouse.statement+json "$N/operator.key" <dup.json >dup.env
want=$first
check_true "resubmitted envelope: 200" test "$(http POST /v1/statements dup.env)" = 200
check_true "resubmitted envelope: duplicate flag and the first index" \
  grep -q "\"index\":$want,\"duplicate\":true" "$T/.body"
check "submit of a logged payload exits 0" 0 sh -c "'$HH' submit --node $NODE_URL --key $SUBMIT_KEY <dup.json"
check_true "submit of a logged payload prints the first index" grep -qx "index $want" "$T/.out"

statement 1 concurrent-dup >cdup.json
"$HH" dsse sign --type application/vnd.henhouse.statement+json "$N/operator.key" <cdup.json >cdup.env
cdup=()
for i in $(seq 1 8); do
  curl -s --max-time 20 -o "cdup.$i" -w '%{http_code}\n' -H 'Content-Type: application/json' \
    --data-binary @cdup.env "$NODE_URL/v1/statements" >"cdup.$i.code" &
  cdup+=($!)
done
wait_submitters "${cdup[@]}"
check_true "8 concurrent copies: exactly one 201" test "$(cat cdup.*.code | grep -c 201)" = 1
check_true "8 concurrent copies: seven 200" test "$(cat cdup.*.code | grep -c 200)" = 7
check_true "8 concurrent copies: one index" \
  test "$(cat cdup.? | grep -o '"index":[0-9]*' | sort -u | wc -l)" = 1
TOTAL=$((TOTAL + 1))
check "checkpoint reaches $TOTAL" 0 wait_size "$TOTAL"

# --- the size limit, from both sides -------------------------------------------
head -c 48000 /dev/zero | tr '\0' y >large.json
"$HH" dsse sign --type application/vnd.henhouse.statement+json "$N/operator.key" <large.json >large.env
check_true "an envelope of $(wc -c <large.env) bytes is logged: 201" \
  test "$(http POST /v1/statements large.env)" = 201
TOTAL=$((TOTAL + 1))
large_id=$(grep -o '"id":"[0-9a-f]*"' "$T/.body" | cut -d'"' -f4)
# The same envelope with an unknown field: the body is bigger, the statement the same.
sed 's/^{/{"comment":"'"$(printf '%01000d' 0)"'",/' large.env >large-extra.env
check_true "with an unknown field ($(wc -c <large-extra.env) bytes): the same statement, 200" \
  test "$(http POST /v1/statements large-extra.env)" = 200
check_true "... under the same id" grep -q "\"id\":\"$large_id\"" "$T/.body"
http GET "/v1/statements/$large_id" >/dev/null
check_true "the logged entry is the canonical envelope, without the unknown field" \
  bash -c "grep -q '\"envelope\"' '$T/.body' && ! grep -q comment '$T/.body'"
sed 's/^{/{"comment":"'"$(printf '%02000d' 0)"'",/' large.env >too-large.env
expect_error "the same over 64 KiB ($(wc -c <too-large.env) bytes): 413" 413 POST /v1/statements too-large.env
check "checkpoint reaches $TOTAL" 0 wait_size "$TOTAL"

# --- bad requests: a clear 4xx, a JSON error, nothing logged ------------------
size_before=$(tree_size)
head -c 70000 /dev/zero | tr '\0' a >big.json
expect_error "body over 64 KiB: 413" 413 POST /v1/statements big.json
expect_error "chunked body over 64 KiB: 413" 413 POST /v1/statements big.json -H 'Transfer-Encoding: chunked'
printf 'this is not json' >notjson
expect_error "not JSON: 400" 400 POST /v1/statements notjson
: >empty
expect_error "empty body: 400" 400 POST /v1/statements empty
printf '{"payload":"e30=","payloadType":"t","signatures":[]}' >nosig.env
expect_error "envelope without signatures: 403" 403 POST /v1/statements nosig.env
printf '[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]' >deep.json
got=$(http POST /v1/statements deep.json)
check_true "deeply nested JSON: 400 or 413 with a JSON error" \
  bash -c "[ $got = 400 -o $got = 413 ] && grep -q '\"error\"' '$T/.body'"
"$HH" keygen example.org/mallory -o "$T" >/dev/null
statement 1 mallory >mallory.json
"$HH" dsse sign --type application/vnd.henhouse.statement+json example.org_mallory.key \
  <mallory.json >mallory.env
expect_error "signed by an unknown key: 403" 403 POST /v1/statements mallory.env
check_true "403 says the signer is not accepted" grep -q unauthorised_signer "$T/.body"
statement 2 forged >forged.json
"$HH" dsse sign --type application/vnd.henhouse.statement+json "$N/operator.key" <forged.json >forged.env
# Flip one character of the signature (base64 'A' <-> 'B' keeps it decodable).
sig=$(grep -o '"sig":"[^"]*"' forged.env | cut -d'"' -f4)
c=${sig:10:1}; [ "$c" = A ] && r=B || r=A
sed "s|$sig|${sig:0:10}$r${sig:11}|" forged.env >badsig.env
check_true "bad-signature envelope differs" bash -c "! cmp -s forged.env badsig.env"
expect_error "bad signature: 403" 403 POST /v1/statements badsig.env
# "xxx" is "eHh4" in base64: the payload says "yyy" instead, with the old signature.
sed 's/eHh4/eXl5/' forged.env >tampered.env
check_true "tampered envelope differs" bash -c "! cmp -s forged.env tampered.env"
expect_error "tampered payload: 403" 403 POST /v1/statements tampered.env

for p in /tile/0/x000/001 /tile/0/abc /tile/0/001.p/0 /tile/0/001.p/256 /tile/0/000.p/x \
         /tile/64/000 /tile/-1/000 /tile/0/1 /tile/entries/0001 /tile/0/000/ /tile/ \
         /tile/0/x1000/000 /tile/entries/x000/000.p/1; do
  expect_error "bad tile path $p: 400" 400 GET "$p"
done
expect_error "full tile beyond the checkpoint: 404" 404 GET /tile/0/000
expect_error "partial tile wider than the tree: 404" 404 GET "/tile/0/000.p/$((TOTAL + 1))"
expect_error "tile index beyond the checkpoint: 404" 404 GET /tile/0/005
expect_error "entry bundle beyond the checkpoint: 404" 404 GET /tile/entries/001
expect_error "level-1 tile beyond the checkpoint: 404" 404 GET /tile/1/000.p/2
check_true "partial tile of the tree: 200, 32 bytes a hash" \
  test "$(http GET "/tile/0/000.p/$TOTAL")" = 200 -a "$(wc -c <"$T/.body")" -eq $((32 * TOTAL))
check_true "entry bundle of the tree: 200" test "$(http GET "/tile/entries/000.p/$TOTAL")" = 200
expect_error "unknown path: 404" 404 GET /nope
expect_error "unknown /v1 path: 404" 404 GET /v1/nope
expect_error "statement id not hex: 400" 400 GET /v1/statements/zzz
expect_error "statement id too short: 400" 400 GET /v1/statements/abcd
expect_error "unknown statement: 404" 404 GET "/v1/statements/$(printf '%064d' 0)"
expect_error "consistency without sizes: 400" 400 GET /v1/proof/consistency
expect_error "consistency old=0: 400" 400 GET "/v1/proof/consistency?old=0&new=5"
expect_error "consistency old>new: 400" 400 GET "/v1/proof/consistency?old=6&new=5"
expect_error "consistency not a number: 400" 400 GET "/v1/proof/consistency?old=1&new=5x"
expect_error "consistency beyond the checkpoint: 404" 404 GET "/v1/proof/consistency?old=1&new=$((TOTAL + 1))"
check_true "consistency proof: 200" test "$(http GET "/v1/proof/consistency?old=7&new=$TOTAL")" = 200
expect_error "PUT: 405" 405 PUT /v1/statements dup.env
expect_error "DELETE: 405" 405 DELETE /checkpoint
expect_error "PATCH: 405" 405 PATCH /v1/statements dup.env
got=$(http POST /checkpoint dup.env)
check_true "POST to a read path: 404 or 405 with a JSON error" \
  bash -c "[ $got = 404 -o $got = 405 ] && grep -q '\"error\"' '$T/.body'"
# Limits libmicrohttpd enforces itself (32 KiB of request memory); its answers are not JSON.
long=$(printf '%040000d' 0)
check_true "40 KB URL: 414" test "$(http GET "/$long")" = 414
check_true "40 KB header: 431" test "$(http GET /checkpoint "" -H "X-Big: $long")" = 431
check_true "HEAD /checkpoint: 200" test "$(curl -s -o /dev/null -w '%{http_code}' -I "$NODE_URL/checkpoint")" = 200
check_true "bad requests logged nothing" test "$(tree_size)" = "$size_before"
# ... not even later: the sequencer logs in order, so a statement sent after
# them all gets the next index only if none of them was queued.
statement 1 after-bad >after-bad.json
check "submit after the bad requests" 0 sh -c "'$HH' submit --node $NODE_URL --key $SUBMIT_KEY --wait <after-bad.json"
TOTAL=$((TOTAL + 1))
check_true "... gets index $size_before: no bad request was logged later" grep -qx "index $size_before" "$T/.out"

# --- slow and idle clients ----------------------------------------------------
host=${NODE_URL#http://}; port=${host##*:}; host=${host%:*}
exec {slow}<>"/dev/tcp/$host/$port"
printf 'POST /v1/statements HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"payload":"' >&$slow
exec {slowhdr}<>"/dev/tcp/$host/$port"
printf 'GET /checkpoint HTTP/1.1\r\nHost: x\r\nX-Slow: ' >&$slowhdr
slow_since=$SECONDS
idle=()
for _ in $(seq 1 "$IDLE_CONNECTIONS"); do
  exec {fd}<>"/dev/tcp/$host/$port" && idle+=("$fd")
done
check_true "$IDLE_CONNECTIONS idle connections open" test "${#idle[@]}" -eq "$IDLE_CONNECTIONS"
check_true "checkpoint served beside slow and idle clients" test "$(http GET /checkpoint)" = 200
statement 1 beside-slow >s.json
check "submit beside slow and idle clients" 0 sh -c "'$HH' submit --node $NODE_URL --key $SUBMIT_KEY <s.json"
TOTAL=$((TOTAL + 1))
for fd in "${idle[@]}"; do exec {fd}>&-; done
# The node drops a connection idle for request-timeout-s: the slow clients see EOF.
closed() { local line; ! IFS= read -r -t $((REQUEST_TIMEOUT + 5)) -u "$1" line || [[ $line == HTTP/1.1\ 408* ]]; }
check_true "slow body is cut off after the request timeout" closed "$slow"
check_true "slow header is cut off after the request timeout" closed "$slowhdr"
check_true "slow clients were cut within request-timeout-s + 5 s" \
  test $((SECONDS - slow_since)) -le $((REQUEST_TIMEOUT + 5))
exec {slow}>&- {slowhdr}>&-
check_true "half a request logged nothing" test "$(tree_size)" = "$TOTAL"
printf 'GARBAGE\r\n\r\n' >garbage
# A garbage request line gets a 4xx or the connection closed, never a hang or a 2xx.
check_true "garbage request line is refused" bash -c \
  "exec 3<>/dev/tcp/$host/$port; cat '$T/garbage' >&3; IFS= read -r -t 5 l <&3; r=\$?; [[ \$l == HTTP/1.1\ 4* ]] || [ \$r -eq 1 ]"
check_true "node still serves" test "$(http GET /checkpoint)" = 200

# --- restart: SIGTERM, serve again, submit more, verify against the old checkpoint
check "whole log verifies before the restart" 0 verify
curl -s "$NODE_URL/checkpoint" >cp-before
old_url=$NODE_URL
check "SIGTERM stops the node with exit 0" 0 node_stop TERM
check "serve again" 0 node_start "$N"
check_true "new port" test "$NODE_URL" != "$old_url"
check_true "same checkpoint after the restart" cmp -s cp-before <(curl -s "$NODE_URL/checkpoint")
lookup_all acked lookups2
check "every id is still served at its index" 0 lookups_match acked lookups2
more=()
for s in $(seq 1 4); do
  submitter "more.$s" "m$s" $((MORE_AFTER_RESTART / 4)) --wait &
  more+=($!)
done
PIDS+=("${more[@]}")
wait_submitters "${more[@]}"
cat more.* >more
check_true "$MORE_AFTER_RESTART more acknowledged" test "$(wc -l <more)" -eq "$MORE_AFTER_RESTART"
check_true "new indexes follow the old ones" \
  cmp <(cut -d' ' -f2 more | sort -n) <(seq "$TOTAL" $((TOTAL + MORE_AFTER_RESTART - 1)))
TOTAL=$((TOTAL + MORE_AFTER_RESTART))
check "checkpoint reaches $TOTAL" 0 wait_size "$TOTAL"
check "whole log verifies after the restart" 0 verify
check "checkpoint before the restart is consistent" 0 verify --old cp-before
check "first checkpoint of 200 is consistent" 0 verify --old cp1
check "log verifies from the node directory" 0 "$HH" verify "$N" --vkey "$N/log.vkey" --signer "$N/operator.vkey"
check "log verifies without signer checks" 0 "$HH" verify "$NODE_URL" --vkey "$N/log.vkey"
check "verify with the wrong log key fails" 1 "$HH" verify "$NODE_URL" --vkey "$N/witness.vkey"
check "verify with another signer fails" 1 "$HH" verify "$NODE_URL" --vkey "$N/log.vkey" --signer example.org_mallory.vkey

# SIGTERM while submissions are in flight: every acknowledged one is logged.
inflight=()
for s in $(seq 1 4); do
  submitter "inflight.$s" "f$s" 20 &
  inflight+=($!)
done
PIDS+=("${inflight[@]}")
check "submissions are being acknowledged (then SIGTERM)" 0 \
  wait_for 10 lines_at_least 4 inflight.1 inflight.2 inflight.3 inflight.4
check "SIGTERM with submissions in flight: exit 0" 0 node_stop TERM
touch "$T/stop"
wait_submitters "${inflight[@]}"
rm -f "$T/stop"
cat inflight.* >inflight 2>/dev/null
check "serve after the in-flight stop" 0 node_start "$N"
lookup_all inflight lookups3
check "every acknowledged in-flight id is logged at its index" 0 lookups_match inflight lookups3
check "whole log verifies" 0 verify --old cp-before
check_true "serve log has no sanitizer report" bash -c "! grep -q 'Sanitizer' '$N.serve.log'"
check "final SIGTERM: exit 0" 0 node_stop TERM

# --- limits: a full queue and a full connection table --------------------------
# A second node with a tiny queue, a slow batch and few connections.
Q="$T/qnode"
check "init a node with small limits" 0 node_init "$Q" queue-max 2 checkpoint-interval-ms 800 \
  max-connections 16 request-timeout-s 2
check "serve it" 0 node_start "$Q"
host=${NODE_URL#http://}; port=${host##*:}; host=${host%:*}
idle=()
for _ in $(seq 1 24); do exec {fd}<>"/dev/tcp/$host/$port" && idle+=("$fd"); done
t0=$SECONDS
check_true "more idle connections than the limit delay a request, never deny it" \
  test "$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 "$NODE_URL/checkpoint")" = 200
check_true "... by at most request-timeout-s + 3 s" test $((SECONDS - t0)) -le 5
for fd in "${idle[@]}"; do exec {fd}>&-; done
: >q.cfg
for i in $(seq 1 8); do
  statement "$i" queue >"q.$i.json"
  "$HH" dsse sign --type application/vnd.henhouse.statement+json "$Q/operator.key" <"q.$i.json" >"q.$i.env"
  [ "$i" -gt 1 ] && echo next >>q.cfg
  printf 'url = "%s/v1/statements"\ndata-binary = "@q.%s.env"\noutput = "q.%s.out"\n' \
    "$NODE_URL" "$i" "$i" >>q.cfg
  printf 'header = "Content-Type: application/json"\nmax-time = 20\n' >>q.cfg
  printf 'write-out = "%%{http_code} %%{filename_effective}\\n"\n' >>q.cfg
done
curl -s -Z --parallel-max 8 -K q.cfg >q.codes 2>/dev/null
check_true "8 at once into a queue of 2: some are logged" grep -q '^201 ' q.codes
check_true "... and the others refused" grep -qv '^201 ' q.codes
echo "   (queue full answered: $(grep -v '^201 ' q.codes | cut -d' ' -f1 | sort | uniq -c | xargs))"
refused=$(grep -v '^201 ' q.codes | cut -d' ' -f2)
check_true "... each with a JSON error naming the full queue" \
  bash -c "for f in $(echo $refused); do grep -q '\"error\".*queue full' \$f || exit 1; done"
check_true "... with 4xx/5xx statuses" bash -c "! grep -qv '^[245][0-9][0-9] ' q.codes"
logged=$(grep -c '^201 ' q.codes)
check "the logged ones are committed" 0 wait_size "$logged"
for f in $refused; do
  id=$("$HH" dsse verify --json "$Q/operator.vkey" <"${f%.out}.env" | grep -o '"id":"[0-9a-f]*"' | cut -d'"' -f4)
  got=$(http GET "/v1/statements/$id")
  [ "$got" = 404 ] || fail "refused ${f%.out} is not logged" "GET gave $got"
  got=$(http POST /v1/statements "${f%.out}.env")
  [ "$got" = 201 ] || fail "refused ${f%.out} is logged when sent again" "POST gave $got"
done
check_true "every refused statement was not logged, and was logged when sent again" true
check "all 8 are committed" 0 wait_size 8
check "the small node verifies" 0 "$HH" verify "$NODE_URL" --vkey "$Q/log.vkey" --signer "$Q/operator.vkey"
check "stop it" 0 node_stop TERM

finish
