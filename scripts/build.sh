#!/usr/bin/env bash
# Configures and builds henhouse into ./build (or $HH_BUILD_DIR). Extra
# arguments go to cmake, e.g. -DHH_SANITIZE=ON.
set -euo pipefail
cd "$(dirname "$0")/.."
dir="${HH_BUILD_DIR:-build}"
cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
cmake --build "$dir" -j "$(nproc)"
