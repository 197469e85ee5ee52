# node_lib.sh - helpers for tests that run real nodes on loopback. Source it
# after lib.sh: it uses $HH, $T and PIDS (every process started here is in
# PIDS, so lib.sh kills it at exit). Needs curl. Every wait is bounded.

# conf_set DIR KEY VALUE : sets KEY in DIR/henhouse.conf, replacing its line,
# or adding one when `henhouse init` wrote none.
conf_set() {
  local conf="$1/henhouse.conf" key=$2
  if grep -q "^$key " "$conf"; then sed -i "s/^$key .*/$key $3/" "$conf"; else echo "$key $3" >>"$conf"; fi
  grep -q "^$key $3\$" "$conf"
}

# node_init DIR [KEY VALUE]... : a fresh node (party us, origin example.org/us),
# with the given henhouse.conf keys set, e.g. checkpoint-interval-ms 50.
node_init() {
  local dir=$1; shift
  "$HH" init "$dir" --party us --origin example.org/us >/dev/null || return 1
  while [ $# -ge 2 ]; do
    conf_set "$dir" "$1" "$2" || return 1
    shift 2
  done
}

# node_start DIR : serves DIR on a free loopback port; sets NODE_PID and
# NODE_URL. The server's stderr is appended to DIR.serve.log.
node_start() {
  local dir=$1 out
  out="$T/.serve.$$.$RANDOM"
  "$HH" serve "$dir" --listen 127.0.0.1:0 >"$out" 2>>"$dir.serve.log" &
  NODE_PID=$!
  PIDS+=("$NODE_PID")
  NODE_URL=""
  for _ in $(seq 1 200); do
    NODE_URL=$(sed -n 's/^listening on //p' "$out")
    [ -n "$NODE_URL" ] && return 0
    kill -0 "$NODE_PID" 2>/dev/null || break
    sleep 0.05
  done
  echo "node did not start: $(tail -n 5 "$dir.serve.log")" >&2
  return 1
}

# node_stop [SIGNAL] : signals the node (default TERM) and waits up to 20 s
# for it to exit; returns its exit status (124 if it did not exit).
node_stop() {
  local sig=${1:-TERM}
  kill -"$sig" "$NODE_PID" 2>/dev/null
  for _ in $(seq 1 400); do
    kill -0 "$NODE_PID" 2>/dev/null || break
    sleep 0.05
  done
  if kill -0 "$NODE_PID" 2>/dev/null; then
    kill -9 "$NODE_PID" 2>/dev/null
    wait "$NODE_PID" 2>/dev/null
    return 124
  fi
  wait "$NODE_PID" 2>/dev/null
}

# http METHOD PATH [BODYFILE] [CURL ARGS...] : one request to the node. Prints the
# status code; the body goes to $T/.body and the headers to $T/.headers.
http() {
  local method=$1 path=$2 body=${3:-}
  shift 2; [ $# -gt 0 ] && shift
  local args=(-s -o "$T/.body" -D "$T/.headers" -w '%{http_code}' --max-time 20 -X "$method")
  [ -n "$body" ] && args+=(-H 'Content-Type: application/json' --data-binary "@$body")
  curl "${args[@]}" "$@" "$NODE_URL$path"
}

# is_json_error : the last response is a JSON error {"error": ..., "detail": ...}.
is_json_error() {
  grep -qi '^content-type: application/json' "$T/.headers" &&
    grep -q '"error":"[a-z_]*"' "$T/.body" && grep -q '"detail":' "$T/.body"
}

# expect_error NAME STATUS METHOD PATH [BODYFILE] [CURL ARGS...] : the node
# answers STATUS with a JSON error.
expect_error() {
  local name=$1 want=$2; shift 2
  local got; got=$(http "$@")
  if [ "$got" = "$want" ] && is_json_error; then pass "$name"
  else fail "$name" "status $got, want $want: $(head -c 200 "$T/.body")"; fi
}

# tree_size : the size in the node's current checkpoint (empty on error).
tree_size() {
  curl -s --max-time 10 "$NODE_URL/checkpoint" | sed -n 2p
}

# wait_size N : waits up to 10 s for the checkpoint to reach size N.
wait_size() {
  for _ in $(seq 1 200); do
    [ "$(tree_size)" = "$1" ] && return 0
    sleep 0.05
  done
  return 1
}

# statement N [TAG] : a distinct JSON statement payload of about 500 bytes.
# statement_to VAR N [TAG] puts the same payload into VAR without a subshell.
HH_PAD=$(printf '%0440d' 0 | tr 0 x)
statement_to() {
  printf -v "$1" '{"kind":"notice","from":"us","to":["ru"],"subject":"incident %s-%s","body":"%s"}\n' \
    "${3:-t}" "$2" "$HH_PAD"
}
statement() {
  local s
  statement_to s "$@"
  printf '%s' "$s"
}

# submitter FILE TAG COUNT [--wait] : submits COUNT distinct statements one by
# one (henhouse submit, key $SUBMIT_KEY); appends "ID INDEX" to FILE for each
# acknowledged one and a line to failures.FILE (same directory) for each
# failure. Stops early when $T/stop exists.
submitter() {
  local file=$1 tag=$2 count=$3 wait=${4:-} i payload out
  local failures; failures="$(dirname "$file")/failures.$(basename "$file")"
  for ((i = 1; i <= count; i++)); do
    [ -e "$T/stop" ] && break
    statement_to payload "$i" "$tag"
    if out=$("$HH" submit --node "$NODE_URL" --key "$SUBMIT_KEY" $wait 2>&1 <<<"${payload%$'\n'}"); then
      if [[ $out =~ id\ ([0-9a-f]+).*index\ ([0-9]+) ]]; then
        echo "${BASH_REMATCH[1]} ${BASH_REMATCH[2]}" >>"$file"
      else
        echo "fail $tag-$i unparsed: ${out//$'\n'/ }" >>"$failures"
      fi
    else
      echo "fail $tag-$i ${out//$'\n'/ }" >>"$failures"
    fi
  done
}

# lookup_all ACKED OUT : GETs /v1/statements/<id> for every "ID INDEX" line of
# ACKED in one curl run; writes "ID STATUS INDEX-IN-BODY HAS-PROOF" to OUT.
lookup_all() {
  local acked=$1 out=$2 cfg="$T/.lookup.cfg"
  awk -v u="$NODE_URL" '{ printf "url = \"%s/v1/statements/%s\"\n", u, $1 }' "$acked" >"$cfg"
  : >"$out"
  [ -s "$cfg" ] || return 0
  # Bodies are one line of JSON; each is followed by a line with its status.
  curl -s --max-time 120 -K "$cfg" -w '\n%{http_code}\n' >"$T/.lookup.out" || return 1
  awk 'NR == FNR { id[NR] = $1; next }
       FNR % 2 == 1 { body = $0; next }
       { k++; ix = "none"
         if (match(body, /"index":[0-9]+/)) ix = substr(body, RSTART + 8, RLENGTH - 8)
         print id[k], $0, ix, (body ~ /"inclusion_proof":\[/) ? 1 : 0 }' \
    "$acked" "$T/.lookup.out" >"$out"
}

# lookups_match ACKED OUT : every acknowledged id was found (200), at its
# acknowledged index, with an inclusion proof. Prints mismatches.
lookups_match() {
  awk 'NR==FNR { want[$1] = $2; next }
       { if ($2 != 200 || $3 != want[$1] || $4 != 1) { print; bad = 1 } ; seen[$1] = 1 }
       END { for (id in want) if (!(id in seen)) { print "missing", id; bad = 1 }; exit bad }' \
    "$1" "$2"
}

# checkpoints_agree FILE... : no two of these saved checkpoint notes have the
# same size and different roots. Prints the disagreeing pairs.
checkpoints_agree() {
  [ $# -gt 0 ] || return 0
  awk 'FNR == 2 { size = $0 } FNR == 3 {
         if ((size in root) && root[size] != $0) { print "fork at size", size, file[size], FILENAME; bad = 1 }
         root[size] = $0; file[size] = FILENAME }
       END { exit bad }' "$@"
}

# poll_checkpoints DIR : saves every distinct /checkpoint body into DIR until
# $T/stop-poll exists (run it in the background).
poll_checkpoints() {
  local dir=$1 n=0 tmp="$1/.tmp" last=""
  mkdir -p "$dir"
  while [ ! -e "$T/stop-poll" ]; do
    if curl -s --max-time 2 -o "$tmp" -w '%{http_code}' "$NODE_URL/checkpoint" 2>/dev/null |
        grep -q 200; then
      local h; h=$(cksum <"$tmp")
      if [ "$h" != "$last" ]; then
        n=$((n + 1)); cp "$tmp" "$dir/cp.$BASHPID.$n"; last=$h
      fi
    fi
    sleep 0.03
  done
  rm -f "$tmp"
}
