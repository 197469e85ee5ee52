#!/usr/bin/env bash
# test_http_hostile.sh - requests a hostile client sends to a node's HTTP
# server, and what must come back: a NUL or control byte in the path or the
# query, literal or percent-encoded, is refused with a JSON 400 before any
# handler runs (libmicrohttpd decodes %00, which would cut a path short for a
# handler that measures it with strlen); routes answer 404 and 405 as the
# route table says; and the node keeps serving afterwards.
# Usage: test_http_hostile.sh path/to/henhouse
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/node_lib.sh"
cd "$T" || exit 1

node_init n || { echo "init failed"; exit 1; }
node_start n || exit 1
SUBMIT_KEY=n/operator.key
statement 1 hostile >s.json
check "a statement is logged" 0 sh -c "'$HH' submit --node $NODE_URL --key $SUBMIT_KEY <s.json >submitted"
id=$(sed -n 's/.*id \([0-9a-f]*\).*/\1/p' submitted)
check_true "its id was printed" test -n "$id"
wait_size 1 || fail "the checkpoint reached size 1"

# The control: the same paths without the NUL are served.
check_true "tile 0/000.p/1 is served" test "$(http GET /tile/0/000.p/1)" = 200
check_true "the statement is served by id" test "$(http GET "/v1/statements/$id")" = 200
check_true "a consistency proof 1..1 is served" \
  test "$(http GET '/v1/proof/consistency?old=1&new=1')" = 200

expect_error "%00 in a tile path" 400 GET '/tile/0/000.p/1%00/../../etc/passwd' --path-as-is
expect_error "%00 after a statement id" 400 GET "/v1/statements/$id%00xyz"
expect_error "%00 in consistency query values" 400 GET '/v1/proof/consistency?old=1%00x&new=1%00y'
expect_error "%00 in a query key" 400 GET '/checkpoint?a%00b=1'
expect_error "%00 in a POST path" 400 POST '/v1/statements%00' s.json
expect_error "%1f in a path" 400 GET '/tile/0/000%1f'
expect_error "%7f in a query" 400 GET '/v1/proof/consistency?old=1&new=1%7f'
check_true "the NUL refusal names it" grep -q 'NUL' "$T/.body"

# raw_status REQUEST-LINE : sends one request line as given (printf escapes, so
# \0 is a literal NUL byte) and prints the status code of the answer.
raw_status() {
  local hostport=${NODE_URL#http://}
  exec 3<>"/dev/tcp/${hostport%:*}/${hostport##*:}" || return 1
  printf "$1"'\r\nHost: x\r\nConnection: close\r\n\r\n' >&3
  timeout 10 head -n 1 <&3 | cut -d' ' -f2
  exec 3<&-
}
check_true "raw request line: the control is served" test "$(raw_status 'GET /checkpoint HTTP/1.1')" = 200
check_true "a literal NUL in the path" test "$(raw_status 'GET /checkpoint\0/../x HTTP/1.1')" = 400
check_true "a literal NUL ending the path" test "$(raw_status 'GET /checkpoint\0 HTTP/1.1')" = 400
check_true "a literal NUL in the query" test "$(raw_status 'GET /checkpoint?a=1\0b HTTP/1.1')" = 400

expect_error "unknown path" 404 GET /nope
expect_error "known path, wrong method" 405 PUT /checkpoint
expect_error "POST to a GET route" 405 POST /checkpoint s.json
expect_error "GET of the submit route" 405 GET /v1/statements
check_true "HEAD of the checkpoint" test "$(http HEAD /checkpoint '' -I)" = 200

check_true "still serving after all that" test "$(http GET /checkpoint)" = 200
node_init other || fail "init a second node"
check "a second node cannot share the first one's port" 2 "$HH" serve other --listen "${NODE_URL#http://}"
check "clean stop" 0 node_stop
finish
