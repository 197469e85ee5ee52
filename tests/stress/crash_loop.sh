#!/usr/bin/env bash
# Long crash-safety run, not part of CI: tests/e2e/test_crash.sh with many
# rounds of concurrent submission, kill -9 at a random moment and restart.
#
#   tests/stress/crash_loop.sh [ROUNDS [path/to/henhouse]]
#
# ROUNDS defaults to 200, henhouse to build/henhouse (hh_load beside it is
# used too). Prints one line per round and every failure; ends with
# "N passed, N failed" and exits non-zero on any failure. The knobs of
# test_crash.sh can be set in the environment (HH_CRASH_ROUND_MS,
# HH_CRASH_SUBMITTERS, HH_CRASH_BATCH_MS, HH_CRASH_LOAD_CONNECTIONS,
# HH_CRASH_VERIFY_SAMPLE, HH_CRASH_OLD_ACK_SAMPLE). By default the load is
# lighter than in CI (8 hh_load connections, one random checkpoint checked
# with verify --old a round) so that the log, verified whole every round,
# stays small enough for hundreds of rounds.
set -u
here="$(cd "$(dirname "$0")" && pwd)"
rounds=${1:-200}
hh=${2:-$here/../../build/henhouse}
case $rounds in '' | *[!0-9]*) echo "usage: $0 [ROUNDS [path/to/henhouse]]" >&2; exit 2 ;; esac
[ -x "$hh" ] || { echo "crash_loop: no henhouse binary at $hh (build first)" >&2; exit 2; }
export HH_CRASH_LOAD_CONNECTIONS=${HH_CRASH_LOAD_CONNECTIONS:-8}
export HH_CRASH_VERIFY_SAMPLE=${HH_CRASH_VERIFY_SAMPLE:-1}
HH_CRASH_ROUNDS=$rounds HH_CRASH_QUIET=${HH_CRASH_QUIET:-1} exec bash "$here/../e2e/test_crash.sh" "$hh"
