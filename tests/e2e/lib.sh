# lib.sh - the shell side of the test harness. Source it, call `check NAME
# EXPECTED_EXIT CMD...` or `check_true NAME CMD...`, then `finish`, which
# prints "N passed, N failed" and exits non-zero on failure. Every test gets
# a scratch directory $T that is removed at exit, with anything started in it.
# Waiting for an event is a bounded poll (wait_for), never a fixed sleep.
set -u
HH="${1:?usage: $0 path/to/henhouse}"
HH="$(cd "$(dirname "$HH")" && pwd)/$(basename "$HH")"
T=$(mktemp -d)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
  rm -rf "$T"
}
trap cleanup EXIT
_passed=0
_failed=0
pass() { _passed=$((_passed + 1)); echo "ok   $1"; }
fail() { _failed=$((_failed + 1)); echo "FAIL $1${2:+: $2}"; }
# check NAME EXPECTED_EXIT CMD... : runs CMD, expects exit status EXPECTED_EXIT.
check() {
  local name=$1 want=$2; shift 2
  "$@" >"$T/.out" 2>"$T/.err"
  local rc=$?
  if [ "$rc" -eq "$want" ]; then pass "$name"; else fail "$name" "exit $rc, want $want: $(head -c 300 "$T/.err")"; fi
}
# check_true NAME CMD... : a condition (test, grep, cmp ...) that must hold.
check_true() {
  local name=$1; shift
  if "$@" >/dev/null 2>&1; then pass "$name"; else fail "$name"; fi
}
# wait_for SECONDS CMD... : runs CMD (output discarded) every 0.1 s until it
# succeeds; returns 1 once SECONDS have passed without success. Every wait in
# the tests is one of these, on an event: a fixed sleep can pass without the
# awaited thing having happened. To show that something did NOT happen, wait
# for an event that must come after it (the next round that would have done
# it), then check.
wait_for() {
  local end=$((SECONDS + $1)); shift
  until "$@" >/dev/null 2>&1; do
    [ "$SECONDS" -ge "$end" ] && return 1
    sleep 0.1
  done
}
# lines_at_least N FILE... : the FILEs hold at least N lines together (a
# missing FILE counts as empty).
lines_at_least() {
  local n=$1; shift
  [ "$(cat "$@" 2>/dev/null | wc -l)" -ge "$n" ]
}
finish() {
  echo "$_passed passed, $_failed failed"
  [ "$_failed" -eq 0 ]
}
