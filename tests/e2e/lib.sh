# lib.sh - the shell side of the test harness. Source it, call `check NAME
# EXPECTED_EXIT CMD...` or `check_true NAME CMD...`, then `finish`, which
# prints "N passed, N failed" and exits non-zero on failure. Every test gets
# a scratch directory $T that is removed at exit, with anything started in it.
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
finish() {
  echo "$_passed passed, $_failed failed"
  [ "$_failed" -eq 0 ]
}
