#!/usr/bin/env bash
# Builds the libFuzzer targets with clang into build-fuzz and runs each one
# over its corpus in fuzz/corpus/<name> for SECONDS seconds (default 20; CI's
# smoke run). New inputs found go to fuzz/out/<name>, not into the corpus.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-20}"
CC=clang cmake -S . -B build-fuzz -G Ninja -DHH_FUZZ=ON -DHH_SANITIZE=ON \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build-fuzz -j "$(nproc)" >/dev/null
status=0
for src in fuzz/fuzz_*.c; do
  name=$(basename "$src" .c)
  corpus="fuzz/corpus/${name#fuzz_}"
  mkdir -p "fuzz/out/${name#fuzz_}" "$corpus"
  echo "== $name ($seconds s)"
  if ! "build-fuzz/$name" -max_total_time="$seconds" -print_final_stats=0 \
      -artifact_prefix="fuzz/out/" "fuzz/out/${name#fuzz_}" "$corpus" >"fuzz/out/$name.log" 2>&1; then
    tail -n 30 "fuzz/out/$name.log"
    status=1
  else
    grep -E '^#[0-9]+ +DONE' "fuzz/out/$name.log" || tail -n 1 "fuzz/out/$name.log"
  fi
done
exit $status
