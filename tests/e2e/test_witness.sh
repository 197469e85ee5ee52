#!/usr/bin/env bash
# End-to-end tests of mutual witnessing on loopback, with adversaries.
#
# The honest network: us and ru witness each other in mirror mode (every
# entry fetched and checked before cosigning), osce witnesses everyone as a
# plain (neutral) witness, and us and ru list ru/us and osce as witnesses of
# their own logs. Around it, misbehaving parties made with the real library
# (tests/adversary): mx shows one history to us and another to osce (a split
# view, caught by gossip); kp drops entries it had published and re-signs
# (a rewrite); ir logs an entry that none of its signers signed; a proxy in
# front of ru serves a corrupted entry bundle (bad data, not provable). Each
# is caught, written as evidence that `henhouse evidence verify` judges, and
# the honest nodes keep working. Also: replayed and malformed add-checkpoint
# requests, a witness that is down for a while, 20 concurrent add-checkpoint
# requests for one log, and a witness killed (-9) in the middle of updates.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/node_lib.sh"
PROXY="$(cd "$(dirname "$0")/../adversary" && pwd)/tamper_proxy.py"
ADV="$(dirname "$HH")/hh_adversary"
cd "$T"

PEER_MS=200   # every node's peer-interval-ms
WAIT_S=30     # the longest any single wait may take
ROUNDS_WAIT_S=60  # ... but a wait for more failed rounds: a failing peer backs off (doubling from PEER_MS)
# The system python3 when there is one: a pyenv shim costs a second a call.
PY=$(command -v /usr/bin/python3 || command -v python3)

# ---- the network -------------------------------------------------------------------
NODES=(us ru osce mx mxf kp ir ca)
declare -A PORT PID
read -r PORT[us] PORT[ru] PORT[osce] PORT[mx] PORT[mxf] PORT[kp] PORT[ir] PORT[ca] \
  PORT[proxy] PORT[dead] < <("$PY" -c '
import socket
ss = [socket.socket() for _ in range(10)]
for s in ss: s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in ss))')
url() { echo "http://127.0.0.1:${PORT[$1]}"; }
origin() { echo "henhouse.test/${1%f}"; } # mxf is a fork of mx: same origin

# make_node NAME BATCH_MS : a node directory for party NAME.
make_node() {
  "$HH" init "$T/$1" --party "$1" --origin "$(origin "$1")" >/dev/null &&
    conf_set "$T/$1" checkpoint-interval-ms "$2" && conf_set "$T/$1" peer-interval-ms "$PEER_MS" &&
    mkdir "$T/$1/peers"
}
# witnessed_by LOGNODE WITNESS : LOGNODE pushes its checkpoints to WITNESS.
witnessed_by() {
  cp "$T/$2/witness.vkey" "$T/$1/peers/$2.witness.vkey" &&
    echo "witness $2 $(url "$2") peers/$2.witness.vkey" >>"$T/$1/henhouse.conf"
}
# witnesses WITNESS LOG MODE [URL] : WITNESS witnesses LOG's log, fetched from URL.
witnesses() {
  local w=$1 l=$2 mode=$3 u=${4:-$(url "$2")}
  cp "$T/$l/log.vkey" "$T/$w/peers/$l.log.vkey" &&
    cp "$T/$l/operator.vkey" "$T/$w/peers/$l.operator.vkey" &&
    printf 'log %s %s %s peers/%s.log.vkey\nlog-mode %s %s\n' "$l" "$(origin "$l")" "$u" "$l" \
      "$l" "$mode" >>"$T/$w/henhouse.conf" &&
    if [ "$mode" = mirror ]; then
      echo "log-signer $l peers/$l.operator.vkey" >>"$T/$w/henhouse.conf"
    fi
}

# start NAME [DIR] : serves DIR (default $T/NAME) on NAME's port.
start() {
  local name=$1 dir=${2:-$T/$1} out="$T/.start.$1"
  : >"$out"
  "$HH" serve "$dir" --listen "127.0.0.1:${PORT[$name]}" >"$out" 2>>"$T/$name.serve.log" &
  PID[$name]=$!
  PIDS+=("$!")
  wait_for 10 grep -q '^listening on ' "$out"
}
# stop NAME [SIGNAL] : signals the node and waits for it; its exit status.
stop() {
  local p=${PID[$1]}
  kill -"${2:-TERM}" "$p" 2>/dev/null
  wait_for 20 bash -c "! kill -0 $p" || kill -9 "$p" 2>/dev/null
  wait "$p" 2>/dev/null
}

# stmt NAME TAG : a distinct statement payload by party NAME.
stmt() {
  printf '{"kind":"notice","from":"%s","to":["all"],"subject":"%s","body":"witness test"}\n' \
    "${1%f}" "$2"
}
# say NAME TAG : submits one statement to NAME and waits for its checkpoint.
say() {
  stmt "$1" "$2" | "$HH" submit --node "$(url "$1")" --key "$T/$1/operator.key" --wait >/dev/null
}
# say_batch NAME TAG COUNT : COUNT statements at once (one batch on a slow sequencer).
say_batch() {
  local i ps=()
  for i in $(seq 1 "$3"); do
    stmt "$1" "$2-$i" | "$HH" submit --node "$(url "$1")" --key "$T/$1/operator.key" >/dev/null &
    ps+=($!)
  done
  for i in "${ps[@]}"; do wait "$i" || return 1; done
}
size_of() { curl -s --max-time 5 "$(url "$1")/checkpoint" | sed -n 2p; }
size_is() { [ "$(size_of "$1")" = "$2" ]; }
root_of() { curl -s --max-time 5 "$(url "$1")/checkpoint" | sed -n 3p; }

# cosigned NAME SIZE WITNESS... : NAME's checkpoint is at SIZE and carries a valid
# cosignature by each WITNESS's key.
cosigned() {
  local name=$1 size=$2 f="$T/.cosigned.$1" w; shift 2
  curl -s --max-time 5 "$(url "$name")/checkpoint" >"$f" || return 1
  [ "$(sed -n 2p "$f")" = "$size" ] || return 1
  for w in "$@"; do
    "$HH" note verify "$T/$w/witness.vkey" <"$f" | grep -q "^cosigned by $(origin "$w")/witness+" ||
      return 1
  done
}
# not_cosigned NAME WITNESS : NAME's current checkpoint has no cosignature by WITNESS.
not_cosigned() {
  curl -s --max-time 5 "$(url "$1")/checkpoint" >"$T/.nc" &&
    ! "$HH" note verify "$T/$2/witness.vkey" <"$T/.nc" >/dev/null 2>&1
}

# status NODE PYEXPR : evaluates PYEXPR over NODE's /v1/status (d; W(name) is a
# witnessed log, S(name) a witness of its own log).
status() {
  curl -s --max-time 5 "$(url "$1")/v1/status" | "$PY" -c '
import json, sys
d = json.load(sys.stdin)
W = lambda n: next(l for l in d["witnessed"] if l["name"] == n)
S = lambda n: next(w for w in d["log"]["witnesses"] if w["name"] == n)
print(eval(sys.argv[1]))' "$2"
}
status_is() { [ "$(status "$1" "$2")" = "$3" ]; }
# failures NODE WHO : consecutive_failures in NODE's /v1/status for WHO, a
# witness of its own log (S("ru"): its pushes) or a log it witnesses (W("mx"):
# its pulls and gossip checks); empty on error.
failures() { status "$1" "$2[\"consecutive_failures\"]"; }
# failed_twice_since NODE WHO BASE : at least two more failures than BASE, a
# count read earlier. NODE's peer rounds run one after another, so the second
# of them started after BASE was read: it saw everything done before that.
# (A success in between resets the count; then it has to fail twice again.)
failed_twice_since() {
  local f; f=$(failures "$1" "$2")
  [ -n "$f" ] && [ "$f" -ge $(($3 + 2)) ]
}
# gossip_has NODE ORIGIN SIZE : NODE's /v1/gossip carries a checkpoint of ORIGIN at SIZE.
gossip_has() {
  curl -s --max-time 5 "$(url "$1")/v1/gossip" | "$PY" -c '
import json, sys
cps = json.load(sys.stdin)["checkpoints"]
sys.exit(0 if any(c.split("\n")[:2] == sys.argv[1:3] for c in cps) else 1)' "$2" "$3"
}

# ev NODE PARTY [KINDS] : NODE's evidence files against PARTY's log, of the given
# kinds (an extended regex; default any kind).
ev() {
  local dir="$T/$1/evidence"
  [ -d "$dir" ] || return 0
  ls "$dir" | grep -E "^[0-9]+-(${3:-.*})\.json$" | sed "s|^|$dir/|" |
    xargs -r grep -l "\"origin\": \"$(origin "$2")\"" | sort -V
}
ev_count() { ev "$@" | wc -l; }
has_ev() { [ "$(ev_count "$@")" -ge 1 ]; }
PROVEN='split-view|inconsistent|unauthorised-entry'

# strip FILE ORIGIN : the checkpoint note in FILE with only the log's own signature.
strip() {
  awk -v sig="— $2 " 'body { if (index($0, sig) == 1) print; next } { print } /^$/ { body = 1 }' "$1"
}
# checkpoint_of NAME FILE : saves NAME's current checkpoint (log signature only).
checkpoint_of() {
  curl -s --max-time 5 "$(url "$1")/checkpoint" >"$T/.cp" && strip "$T/.cp" "$(origin "$1")" >"$2"
}
# proof NAME OLD NEW : consistency-proof lines from NAME's log.
proof() {
  curl -s --max-time 5 "$(url "$1")/v1/proof/consistency?old=$2&new=$3" |
    sed -n 's/.*"proof":\[\([^]]*\)\].*/\1/p' | tr ',' '\n' | tr -d '"' | grep -v '^$'
}
# wreq OLD NOTE [PROOF_NODE] : an add-checkpoint body (old OLD, a proof from
# PROOF_NODE's log up to the note's size when given, the note).
wreq() {
  printf 'old %s\n' "$1"
  [ -n "${3:-}" ] && proof "$3" "$1" "$(sed -n 2p "$2")"
  printf '\n'
  cat "$2"
}
# add NODE BODYFILE : POSTs an add-checkpoint request; prints the status code.
add() {
  curl -s -o "$T/.wbody" -D "$T/.wheaders" -w '%{http_code}' --max-time 20 \
    -H 'Content-Type: text/plain' --data-binary "@$2" "$(url "$1")/add-checkpoint"
}
# add_expect NAME NODE BODYFILE STATUS [BODY] : the request gets STATUS (and BODY).
add_expect() {
  local got; got=$(add "$2" "$3")
  if [ "$got" = "$4" ] && { [ $# -lt 5 ] || [ "$(cat "$T/.wbody")" = "$5" ]; }; then pass "$1"
  else fail "$1" "status $got, want $4${5:+ with body '$5'}: $(head -c 200 "$T/.wbody")"; fi
}
is_size_answer() { grep -qi '^content-type: text/x.tlog.size' "$T/.wheaders"; }

# honest_still_works TAG : us and ru still log statements and cosign each other,
# and osce cosigns both.
honest_still_works() {
  local n
  say us "$1-us" && n=$(size_of us) && wait_for "$WAIT_S" cosigned us "$n" ru osce &&
    say ru "$1-ru" && n=$(size_of ru) && wait_for "$WAIT_S" cosigned ru "$n" us osce
}

phase() { echo "== $1 (${SECONDS}s)"; }

# ---- set up -------------------------------------------------------------------------
for n in us ru osce ir ca; do check "init $n" 0 make_node "$n" 50; done
for n in mx kp; do check "init $n (slow batches)" 0 make_node "$n" 1000; done
witnessed_by us ru; witnessed_by us osce
witnessed_by ru us; witnessed_by ru osce
witnessed_by mx osce
witnessed_by kp us; witnessed_by kp osce
witnessed_by ir us; witnessed_by ir osce
witnesses us ru mirror "$(url proxy)" # through the tampering proxy (off until asked)
witnesses us kp mirror
witnesses us ir mirror
witnesses ru us mirror
for l in us ru mx kp ir; do witnesses osce "$l" plain; done
witnesses osce ca plain "$(url dead)" # only the test's own requests move ca at osce
# mxf: a copy of mx that is shown to us (witnessed by us only), while osce sees mx.
check "fork mx for the split view" 0 "$ADV" fork "$T/mx" "$T/mxf" --keep 0
sed -i '/^witness /d' "$T/mxf/henhouse.conf"
witnessed_by mxf us
witnesses us mx mirror "$(url mxf)"

"$PY" "$PROXY" "$(url ru)" --port "${PORT[proxy]}" --flag "$T/tamper" >proxy.out 2>proxy.err &
PIDS+=($!)
check "tamper proxy starts" 0 wait_for 10 grep -q '^listening on ' proxy.out
for n in "${NODES[@]}"; do check "serve $n" 0 start "$n"; done

# ---- the honest network -------------------------------------------------------------
phase "the honest network"
for i in 1 2 3; do say us "a$i"; done
check "us reaches 3" 0 wait_for 10 size_is us 3
check "us's checkpoint 3 is cosigned by ru and osce" 0 wait_for "$WAIT_S" cosigned us 3 ru osce
curl -s "$(url us)/checkpoint" >us3
check "the log's own signature verifies" 0 "$HH" note verify "$T/us/log.vkey" <us3
check "ru's cosignature verifies with ru's witness key" 0 "$HH" note verify "$T/ru/witness.vkey" <us3
t=$(sed -n 's/^cosigned by .* at //p' "$T/.out")
check_true "ru's cosignature time is now" test "${t:-0}" -ge $(($(date +%s) - 120)) -a "${t:-0}" -le $(($(date +%s) + 5))
check "osce's cosignature verifies with osce's witness key" 0 "$HH" note verify "$T/osce/witness.vkey" <us3
check "a key that did not cosign does not verify" 1 "$HH" note verify "$T/ir/witness.vkey" <us3
check "all three signatures at once" 0 "$HH" note verify "$T/us/log.vkey" "$T/ru/witness.vkey" "$T/osce/witness.vkey" <us3
check_true "... are three" test "$(wc -l <"$T/.out")" = 3
check "ru's mirror of us catches up to 3" 0 wait_for "$WAIT_S" status_is ru 'W("us")["mirror_size"]' 3
check_true "ru's status: us cosigned at 3, not frozen" status_is ru '(W("us")["cosigned_size"], W("us")["frozen"])' "(3, False)"
check_true "us's status: ru and osce cosigned 3" status_is us '(S("ru")["cosigned_size"], S("osce")["cosigned_size"])' "(3, 3)"
check_true "osce's status: us cosigned at 3 (plain, no mirror)" status_is osce '(W("us")["cosigned_size"], "mirror_size" in W("us"))' "(3, False)"
say ru r1; say ru r2
check "ru's checkpoint 2 is cosigned by us and osce" 0 wait_for "$WAIT_S" cosigned ru 2 us osce
check "us's mirror of ru (through the proxy) catches up" 0 wait_for "$WAIT_S" status_is us 'W("ru")["mirror_size"]' 2
check "henhouse status" 0 "$HH" status "$T/us"
check_true "henhouse status names the witnesses" grep -q 'witness ru .*cosigned size 3' "$T/.out"
check "henhouse status --json" 0 sh -c "'$HH' status --json '$T/us' | '$PY' -c 'import json,sys; json.load(sys.stdin)'"
check_true "gossip of us carries ru's checkpoint 2" gossip_has us henhouse.test/ru 2
for n in us ru osce; do
  check_true "no evidence at $n" test "$(curl -s "$(url "$n")/v1/evidence")" = "[]"
done

# ---- replayed, stale and malformed add-checkpoint requests (to ru, witness of us) -----
phase "replayed, stale and malformed"
strip us3 henhouse.test/us >us3.note
say us a4; say us a5
check "us reaches 5, cosigned by ru" 0 wait_for "$WAIT_S" cosigned us 5 ru
checkpoint_of us us5.note
wreq 0 us3.note >replay.req
add_expect "replay of an old checkpoint: 409 with the recorded size" ru replay.req 409 5
check_true "409 is text/x.tlog.size" is_size_answer
wreq 3 us3.note >stale.req
add_expect "old checkpoint with its own size as old: 409" ru stale.req 409 5
wreq 5 us3.note >smaller.req
add_expect "checkpoint smaller than the recorded size: 400" ru smaller.req 400
wreq 3 us5.note us >proof35.req
add_expect "old 3 with a valid proof, witness at 5: 409" ru proof35.req 409 5
wreq 5 us5.note >same.req
add_expect "the recorded checkpoint again: 200" ru same.req 200
cat us5.note "$T/.wbody" >us5.cosigned
check "the returned cosignature verifies" 0 "$HH" note verify "$T/ru/witness.vkey" <us5.cosigned
"$HH" keygen henhouse.test/nobody -o "$T" >/dev/null
printf 'henhouse.test/nobody\n1\n%s\n' "$(sed -n 3p us5.note)" |
  "$HH" note sign henhouse.test_nobody.key >nobody.note
wreq 0 nobody.note >nobody.req
add_expect "unknown origin: 404" ru nobody.req 404
mkdir mallory && "$HH" keygen henhouse.test/us -o mallory >/dev/null
sed -n 1,3p us5.note | "$HH" note sign mallory/henhouse.test_us.key >forged.note
wreq 0 forged.note >forged.req
add_expect "checkpoint signed by another key of the same name: 403" ru forged.req 403
sig=$(sed -n 5p us5.note); c=${sig:30:1}; [ "$c" = A ] && r=B || r=A
sed "5s|.*|${sig:0:30}$r${sig:31}|" us5.note >badsig.note
wreq 0 badsig.note >badsig.req
add_expect "bad log signature: 403" ru badsig.req 403
printf 'henhouse.test/us\n0\n%s\n' "$(sed -n 3p us5.note)" | "$HH" note sign "$T/us/log.key" >zero.note
wreq 0 zero.note >zero.req
add_expect "size 0 with a non-empty root: 422" ru zero.req 422
{ printf 'old 0\n'; proof us 3 5; printf '\n'; cat us5.note; } >oldzero.req
add_expect "old 0 with a proof: 422" ru oldzero.req 422
printf 'old x\n\n' >bad.req; cat us5.note >>bad.req
add_expect "malformed old line: 400" ru bad.req 400
: >empty.req
add_expect "empty body: 400" ru empty.req 400
add_expect "ru still records 5 after all that" ru replay.req 409 5
check_true "no evidence at ru" test "$(curl -s "$(url ru)/v1/evidence")" = "[]"

# ---- 20 concurrent requests for one log, and a witness killed mid-update (osce, ca) -----
phase "20 concurrent requests"
say ca c1; say ca c2
checkpoint_of ca ca2.note
wreq 0 ca2.note >ca2.req
add_expect "osce cosigns ca's first checkpoint" osce ca2.req 200
cat ca2.note "$T/.wbody" >ca2.cosigned
check "... with a valid cosignature" 0 "$HH" note verify "$T/osce/witness.vkey" <ca2.cosigned
for i in 3 4 5; do say ca "c$i"; done
checkpoint_of ca ca5.note
wreq 2 ca5.note ca >ca25.req
conc=()
for i in $(seq 1 20); do
  curl -s -o "conc.$i.body" -w '%{http_code}\n' --max-time 20 --data-binary @ca25.req \
    "$(url osce)/add-checkpoint" >"conc.$i.code" &
  conc+=($!)
done
for p in "${conc[@]}"; do wait "$p"; done
check_true "20 concurrent requests old 2 -> 5: exactly one 200" test "$(cat conc.*.code | grep -c '^200$')" = 1
check_true "... and nineteen 409" test "$(cat conc.*.code | grep -c '^409$')" = 19
check_true "... every 409 says 5" test "$(for i in $(seq 1 20); do grep -qx 409 "conc.$i.code" && cat "conc.$i.body"; done | sort -u)" = 5
wreq 5 ca5.note >ca55.req
add_expect "the same checkpoint again: 200" osce ca55.req 200
# A chain of checkpoints 6..35, each request advancing by one.
for i in $(seq 6 35); do say ca "c$i"; checkpoint_of ca "ca$i.note"; done
check_true "ca reaches 35" test "$(size_of ca)" = 35
for i in $(seq 6 35); do wreq $((i - 1)) "ca$i.note" ca >"ca$i.req"; done
(for i in $(seq 6 35); do
   echo "$i $(curl -s -o /dev/null -w '%{http_code}' --max-time 5 --data-binary "@ca$i.req" \
     "$(url osce)/add-checkpoint")"
 done) >sent &
sender=$!
check "osce answers the first updates (then it is killed)" 0 wait_for 10 lines_at_least 3 sent
stop osce 9
wait "$sender"
acked=$(awk '$2 == 200 { a = $1 } END { print a + 0 }' sent)
[ "$acked" -eq 0 ] && acked=5
echo "   (killed osce after $(grep -c ' 200$' sent) of 30 updates were answered)"
check "osce restarts" 0 start osce
wreq 0 ca5.note >probe.req
add "osce" probe.req >/dev/null
recorded=$(cat "$T/.wbody")
check_true "after kill -9, osce's recorded size for ca is not lost (acked $acked, recorded $recorded)" \
  test "${recorded:-0}" -ge "$acked" -a "${recorded:-0}" -le $((acked + 1))
check_true "osce's status agrees" status_is osce 'W("ca")["cosigned_size"]' "$recorded"
ok=1
for i in $(seq $((recorded + 1)) 35); do [ "$(add osce "ca$i.req")" = 200 ] || ok=0; done
check_true "updates resume from the recorded size" test "$ok" = 1
add_expect "osce now records 35" osce probe.req 409 35
say us after-kill
check "osce cosigns us again after its restart" 0 wait_for "$WAIT_S" cosigned us "$(size_of us)" osce ru

# ---- a witness down for a while, then back (ru) ---------------------------------------
phase "a witness down for a while"
base=$(size_of us)
check "ru stops" 0 stop ru
for i in 1 2 3; do say us "down$i"; done
up=$((base + 3))
check "while ru is down, osce cosigns us's $up" 0 wait_for "$WAIT_S" cosigned us "$up" osce
check_true "... and ru does not" not_cosigned us ru
check "us's status shows ru failing" 0 wait_for "$WAIT_S" status_is us \
  '(S("ru")["cosigned_size"], S("ru")["behind"], S("ru")["consecutive_failures"] > 0, S("ru")["last_error"] != "")' \
  "($base, 3, True, True)"
check "henhouse status names the failure" 0 sh -c "'$HH' status '$T/us' | grep -q 'witness ru .*failing'"
down_fails=$(failures us 'S("ru")')
check "us fails to reach ru once more while it is down" 0 wait_for "$ROUNDS_WAIT_S" status_is us \
  "S(\"ru\")[\"consecutive_failures\"] > ${down_fails:-0}" True
check "ru restarts" 0 start ru
check "ru catches up and cosigns us's $up" 0 wait_for "$WAIT_S" cosigned us "$up" ru osce
check_true "ru's mirror of us is at $up" status_is ru 'W("us")["mirror_size"]' "$up"
check "us's status: ru is healthy again" 0 wait_for "$WAIT_S" status_is us 'S("ru")["consecutive_failures"]' 0
say ru r3
check "ru's own log is cosigned again by us and osce" 0 wait_for "$WAIT_S" cosigned ru 3 us osce
for n in us ru osce; do
  check_true "still no evidence at $n (no false alarm)" test "$(curl -s "$(url "$n")/v1/evidence")" = "[]"
done

# ---- bad data: a proxy corrupts ru's entry bundle on its way to us ---------------------
phase "bad data"
touch "$T/tamper"
say ru r4
bad_fails=$(failures ru 'S("us")')
check "us records bad-data for ru" 0 wait_for "$WAIT_S" has_ev us ru bad-data
check_true "the proxy did tamper" grep -q '^tampered /tile/entries/' proxy.err
# Each push of ru's 4 has us check the data (and write any evidence) before it answers.
check "us refuses ru's pushes of 4 while the data is bad" 0 \
  wait_for "$ROUNDS_WAIT_S" failed_twice_since ru 'S("us")' "${bad_fails:-0}"
check_true "us does not cosign ru's 4 while the data is bad" not_cosigned ru us
badf=$(ev us ru bad-data | head -n 1)
check "evidence verify: bad-data proves nothing (exit 0)" 0 "$HH" evidence verify "$badf"
check_true "... and says it is an observation" grep -qi 'observation, not a proof' "$T/.out"
check_true "no proven evidence against ru" test "$(ev_count us ru "$PROVEN")" = 0
check_true "ru is not frozen at us" status_is us 'W("ru")["frozen"]' False
check "osce (plain) cosigns ru's 4" 0 wait_for "$WAIT_S" cosigned ru 4 osce
rm -f "$T/tamper"
check "once the data is good, us mirrors and cosigns ru's 4" 0 wait_for "$WAIT_S" cosigned ru 4 us osce
check_true "us's mirror of ru is at 4" status_is us 'W("ru")["mirror_size"]' 4
check "honest nodes work after the bad data" 0 honest_still_works bad

# ---- split view: mx shows one history to osce, another (mxf) to us -------------------
phase "split view"
for i in 1 2 3; do
  stmt mx "m$i" >"m$i.json"
  for n in mx mxf; do
    "$HH" submit --node "$(url "$n")" --key "$T/mx/operator.key" --wait <"m$i.json" >/dev/null
  done
done
check_true "mx and its fork agree at 3" test "$(size_of mx) $(root_of mx)" = "3 $(root_of mxf)"
check "osce cosigns mx's 3" 0 wait_for "$WAIT_S" cosigned mx 3 osce
check "us cosigns the fork's 3" 0 wait_for "$WAIT_S" cosigned mxf 3 us
check "the fork logs two other statements" 0 say_batch mxf B 2
check "us cosigns the fork's 5" 0 wait_for "$WAIT_S" cosigned mxf 5 us
check "mx logs two statements" 0 say_batch mx A 2
check "osce cosigns mx's 5" 0 wait_for "$WAIT_S" cosigned mx 5 osce
check_true "same size, different roots" test "$(root_of mx)" != "$(root_of mxf)"
# osce holds mx's 5 and is shown the fork's 5: two trees of one size. us holds
# the fork's 5 and is shown mx's own checkpoints: its 5 (a split view) or, as
# group commit may sign one at 4 on the way, a 4 the fork's 5 does not extend.
check "gossip: osce catches the split view" 0 wait_for "$WAIT_S" has_ev osce mx split-view
check "gossip: us catches the split view" 0 wait_for "$WAIT_S" has_ev us mx 'split-view|inconsistent'
for n in osce us; do
  f=$(ev "$n" mx 'split-view|inconsistent' | head -n 1)
  check "evidence verify: $n's evidence of the split is proven (exit 1)" 1 "$HH" evidence verify "$f"
  if [ "$n" = osce ]; then
    check_true "... in plain words" grep -q 'PROVEN: the log henhouse.test/mx signed two different trees of the same size 5' "$T/.out"
  else
    check_true "... in plain words" grep -q 'PROVEN: the log henhouse.test/mx' "$T/.out"
  fi
  check_true "mx is frozen at $n" status_is "$n" 'W("mx")["frozen"]' True
done
check_true "us's mirror of mx stays at the last good point" status_is us 'W("mx")["mirror_size"]' 5
checkpoint_of mxf mxf5.note
wreq 5 mxf5.note >mxf5.req
add_expect "the other tree of size 5, sent to osce: 422" osce mxf5.req 422
say mx A3
mx_fails=$(failures mx 'S("osce")')
check "osce refuses mx's pushes of 6" 0 wait_for "$ROUNDS_WAIT_S" failed_twice_since mx 'S("osce")' "${mx_fails:-0}"
check_true "osce does not cosign mx past the split (frozen)" not_cosigned mx osce
n1=$(ev_count us mx)
us_mx_fails=$(failures us 'W("mx")')
check "us checks mx's checkpoints again (refused: frozen)" 0 \
  wait_for "$ROUNDS_WAIT_S" failed_twice_since us 'W("mx")' "${us_mx_fails:-0}"
n2=$(ev_count us mx)
check_true "the same split view is not recorded again and again (us: $n1 then $n2 files)" test "$n1" = "$n2"
check "honest nodes work after the split view" 0 honest_still_works split

# ---- rewrite: kp drops entries it had published and re-signs --------------------------
phase "rewrite"
check "kp logs four statements" 0 say_batch kp k 4
check "us and osce cosign kp's 4" 0 wait_for "$WAIT_S" cosigned kp 4 us osce
check "kp stops" 0 stop kp
check "kp forks its own log back to 2" 0 "$ADV" fork "$T/kp" "$T/kp2" --keep 2
check "kp serves the cut-down log" 0 start kp "$T/kp2"
check_true "kp re-signs size 2" test "$(size_of kp)" = 2
check "kp logs three other statements" 0 say_batch kp x 3
check "kp is at 5" 0 wait_for 10 size_is kp 5
kp_us_fails=$(failures kp 'S("us")') kp_osce_fails=$(failures kp 'S("osce")')
check "us (mirror) proves the rewrite" 0 wait_for "$WAIT_S" has_ev us kp 'inconsistent|split-view'
f=$(ev us kp 'inconsistent|split-view' | head -n 1)
echo "   (kp rewrite recorded by us as $(basename "$f"))"
check "evidence verify: the rewrite is proven (exit 1)" 1 "$HH" evidence verify "$f"
check_true "... in plain words" grep -q 'PROVEN' "$T/.out"
check_true "kp is frozen at us" status_is us 'W("kp")["frozen"]' True
check_true "us's mirror of kp stays at 4" status_is us 'W("kp")["mirror_size"]' 4
checkpoint_of kp kp5.note
wreq 4 kp5.note kp >kp45.req
add_expect "the rewritten log's proof, sent to osce (plain): 422" osce kp45.req 422
add_expect "... and to us: 422" us kp45.req 422
check "us refuses kp's pushes of the rewritten 5" 0 wait_for "$ROUNDS_WAIT_S" failed_twice_since kp 'S("us")' "${kp_us_fails:-0}"
check "osce refuses them too" 0 wait_for "$ROUNDS_WAIT_S" failed_twice_since kp 'S("osce")' "${kp_osce_fails:-0}"
check_true "us does not cosign the rewritten log" not_cosigned kp us
check_true "osce does not either" not_cosigned kp osce
check "honest nodes work after the rewrite" 0 honest_still_works rewrite

# ---- an entry signed by a key that is not the party's signer (ir) ----------------------
phase "an entry signed by a key"
say ir i1; say ir i2
check "us and osce cosign ir's 2" 0 wait_for "$WAIT_S" cosigned ir 2 us osce
check "ir stops" 0 stop ir
check "ir logs an entry signed by a stranger" 0 "$ADV" sign-unauthorised "$T/ir"
check_true "... at index 2" grep -qx 'index 2' "$T/.out"
check "ir serves again" 0 start ir
ir3_fails=$(failures ir 'S("us")')
check_true "ir is at 3" test "$(size_of ir)" = 3
check "us (mirror) records unauthorised-entry" 0 wait_for "$WAIT_S" has_ev us ir unauthorised-entry
f=$(ev us ir unauthorised-entry | head -n 1)
check "evidence verify: the unauthorised entry is proven (exit 1)" 1 "$HH" evidence verify "$f"
check_true "... names entry 2" grep -q 'PROVEN: entry 2 is in the tree of size 3' "$T/.out"
check_true "ir is frozen at us, its mirror at 2" status_is us '(W("ir")["frozen"], W("ir")["mirror_size"])' "(True, 2)"
check "osce (plain: no entry checks) cosigns ir's 3" 0 wait_for "$WAIT_S" cosigned ir 3 osce
check "us refuses ir's pushes of 3" 0 wait_for "$ROUNDS_WAIT_S" failed_twice_since ir 'S("us")' "${ir3_fails:-0}"
check_true "us does not" not_cosigned ir us
say ir i3
ir4_fails=$(failures ir 'S("us")')
check "osce cosigns ir's 4" 0 wait_for "$WAIT_S" cosigned ir 4 osce
check "us refuses ir's pushes of 4" 0 wait_for "$ROUNDS_WAIT_S" failed_twice_since ir 'S("us")' "${ir4_fails:-0}"
check_true "us still does not" not_cosigned ir us
check "honest nodes work after the unauthorised entry" 0 honest_still_works unauthorised

# ---- the evidence as a whole ----------------------------------------------------------
phase "the evidence as a whole"
for n in us ru osce; do
  for p in us ru osce ca; do
    check_true "no proven evidence at $n against $p" test "$(ev_count "$n" "$p" "$PROVEN")" = 0
  done
done
# The first few files of every (node, log, kind): each must verify as its kind says.
bad=0 total=0
for n in us ru osce; do
  for p in ru mx kp ir; do
    for k in split-view inconsistent unauthorised-entry bad-data; do
      for f in $(ev "$n" "$p" "$k" | head -n 3); do
        total=$((total + 1))
        want=1; [ "$k" = bad-data ] && want=0
        "$HH" evidence verify "$f" >/dev/null 2>&1; rc=$?
        [ "$rc" = "$want" ] || { bad=$((bad + 1)); echo "   evidence verify $f: exit $rc, want $want"; }
      done
    done
  done
done
check_true "each of $total evidence files verifies as its kind says" test "$bad" = 0
# evidence_api_matches NODE : the first 50 entries of /v1/evidence are the files
# DIR/evidence/<id>-<kind>.json, with the same origin and content.
evidence_api_matches() {
  curl -s --max-time 20 "$(url "$1")/v1/evidence" | "$PY" -c '
import json, sys
entries = json.load(sys.stdin)
assert entries, "no evidence listed"
for e in entries[:50]:
    with open("%s/%d-%s.json" % (sys.argv[1], e["id"], e["kind"])) as f:
        body = json.load(f)
    assert body == e["evidence"] and body["origin"] == e["origin"], e["id"]' "$T/$1/evidence"
}
for n in us osce; do check "$n's /v1/evidence matches its evidence files" 0 evidence_api_matches "$n"; done
f=$(ev osce mx split-view | head -n 1)
sed 's/"checkpoints"/"checkpointz"/' "$f" >broken.json
check "evidence verify: a malformed file is exit 2" 2 "$HH" evidence verify broken.json
"$PY" -c '
import json, sys
e = json.load(open(sys.argv[1]))
e["checkpoints"][1] = e["checkpoints"][0]
json.dump(e, open("same.json", "w"))' "$f"
check "evidence verify: two identical checkpoints prove nothing (exit 0)" 0 "$HH" evidence verify same.json
check "henhouse status shows frozen logs" 0 sh -c "'$HH' status '$T/us' | grep -q 'witnessing mx .*FROZEN'"

for n in "${NODES[@]}"; do check "$n stops cleanly" 0 stop "$n"; done
check_true "no sanitizer report in any serve log" bash -c "! grep -lE 'Sanitizer|runtime error' '$T'/*.serve.log"
# Evidence held at the end, and the serve logs kept when HH_TEST_LOGS names a directory.
for n in us ru osce; do
  echo "   evidence at $n: $(ls "$T/$n/evidence" 2>/dev/null | sed 's/^[0-9]*-//' | sort | uniq -c | xargs)"
done
[ -n "${HH_TEST_LOGS:-}" ] && mkdir -p "$HH_TEST_LOGS" && cp "$T"/*.serve.log proxy.err "$HH_TEST_LOGS/"

finish
