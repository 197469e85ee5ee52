#!/usr/bin/env bash
# Builds henhouse and runs every test: unit tests, public vectors and the
# end-to-end tests. Ends with the line "N passed, N failed" (the sum over all
# suites). With --sanitize, builds into build-asan with ASan+UBSan.
set -uo pipefail
cd "$(dirname "$0")/.."
dir=build
args=()
if [ "${1:-}" = "--sanitize" ]; then
  dir=build-asan
  args=(-DHH_SANITIZE=ON)
  export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
  export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
fi
HH_BUILD_DIR="$dir" ./scripts/build.sh "${args[@]}" || { echo "build failed"; echo "0 passed, 1 failed"; exit 1; }
bin="$dir/henhouse"
passed=0 failed=0
run_suite() {
  local name=$1; shift
  local log; log=$(mktemp)
  echo "== $name"
  "$@" 2>&1 | tee "$log"
  local rc=${PIPESTATUS[0]}
  local line; line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
  rm -f "$log"
  if [ -z "$line" ]; then
    echo "$name: no result line (exit $rc)"; failed=$((failed + 1)); return
  fi
  local p f; read -r p _ f _ <<<"${line//,/}"
  passed=$((passed + p)); failed=$((failed + f))
  if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
    echo "$name: exited $rc"; failed=$((failed + 1))
  fi
}
run_suite unit "$dir/hh_unit"
run_suite vectors "$dir/hh_vectors"
run_suite node "$dir/hh_node"
for t in tests/e2e/test_*.sh; do
  [ -e "$t" ] || continue
  run_suite "$(basename "$t" .sh)" bash "$t" "$bin"
done
echo "== total"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
