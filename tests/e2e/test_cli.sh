#!/usr/bin/env bash
# End-to-end tests of the key, note and DSSE commands, through the real binary.
. "$(dirname "$0")/lib.sh"
cd "$T"

check "help" 0 "$HH" --help
check "unknown command is a usage error" 2 "$HH" frobnicate
for c in keygen note dsse; do check "$c --help" 0 "$HH" $c --help; done

check "keygen" 0 "$HH" keygen example.org/alice -o "$T"
check_true "signer key is 0600" test "$(stat -c %a example.org_alice.key)" = 600
check_true "vkey written" grep -q '^example.org/alice+[0-9a-f]\{8\}+' example.org_alice.vkey
check "keygen refuses to overwrite" 2 "$HH" keygen example.org/alice -o "$T"
check "keygen rejects a bad name" 2 "$HH" keygen "bad+name" -o "$T"
check "keygen bob" 0 "$HH" keygen example.org/bob
check "keygen witness" 0 "$HH" keygen example.org/w --witness
check_true "secret never printed" bash -c "! grep -q PRIVATE '$T/.out'"

printf 'hello from alice\n' >msg.txt
check "note sign" 0 sh -c "'$HH' note sign example.org_alice.key <msg.txt >msg.note"
check "note verify" 0 sh -c "'$HH' note verify example.org_alice.vkey <msg.note"
check "note verify --json" 0 sh -c "'$HH' note verify --json example.org_alice.vkey <msg.note | grep -q '\"verified\":true'"
check "note verify with another key fails" 1 sh -c "'$HH' note verify example.org_bob.vkey <msg.note"
check "note verify with both keys" 0 sh -c "'$HH' note verify example.org_bob.vkey example.org_alice.vkey <msg.note"
sed 's/alice/mallory/' msg.note >forged.note
check "forged note text fails" 1 sh -c "'$HH' note verify example.org_alice.vkey <forged.note"
printf 'no blank line\n' >bad.note
check "malformed note is exit 2" 2 sh -c "'$HH' note verify example.org_alice.vkey <bad.note"
printf 'no newline' >nonl.txt
check "note sign refuses text without newline" 2 sh -c "'$HH' note sign example.org_alice.key <nonl.txt"
chmod 644 example.org_alice.key
check "signer key readable by others is refused" 2 sh -c "'$HH' note sign example.org_alice.key <msg.txt"
chmod 600 example.org_alice.key
check "missing key file is exit 2" 2 sh -c "'$HH' note verify nosuch.vkey <msg.note"

printf '{"kind":"notice"}' >payload.json
check "dsse sign" 0 sh -c "'$HH' dsse sign --type application/vnd.henhouse.statement+json example.org_alice.key example.org_bob.key <payload.json >env.json"
check "dsse verify" 0 sh -c "'$HH' dsse verify example.org_alice.vkey <env.json"
check "dsse verify threshold 2" 0 sh -c "'$HH' dsse verify --threshold 2 example.org_alice.vkey example.org_bob.vkey <env.json"
check "dsse verify threshold 2 with one key fails" 1 sh -c "'$HH' dsse verify --threshold 2 example.org_alice.vkey <env.json"
check "dsse verify --payload gives the payload" 0 sh -c "'$HH' dsse verify --payload example.org_alice.vkey <env.json | cmp - payload.json"
check "dsse verify --json" 0 sh -c "'$HH' dsse verify --json example.org_alice.vkey <env.json | grep -q '\"id\"'"
"$HH" keygen example.org/carol >/dev/null
check "dsse verify by a stranger fails" 1 sh -c "'$HH' dsse verify example.org_carol.vkey <env.json"
sed 's/"payloadType":"application/"payloadType":"text/' env.json >tampered.json
check "dsse tampered type fails" 1 sh -c "'$HH' dsse verify example.org_alice.vkey <tampered.json"
printf '{"payload":' >broken.json
check "dsse malformed is exit 2" 2 sh -c "'$HH' dsse verify example.org_alice.vkey <broken.json"
check "dsse sign without --type is usage" 2 sh -c "'$HH' dsse sign example.org_alice.key <payload.json"
head -c 70000 /dev/zero >big.bin
check "dsse sign refuses oversize payload" 2 sh -c "'$HH' dsse sign --type t example.org_alice.key <big.bin"

finish
