#!/usr/bin/env bash
# Installs what henhouse needs to build and test on Debian 12 (bookworm).
# Idempotent; uses sudo when not run as root.
set -euo pipefail
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
packages=(
  build-essential cmake ninja-build pkg-config clang libclang-rt-14-dev
  libsodium-dev libssl-dev libjansson-dev libsqlite3-dev libmicrohttpd-dev libcurl4-openssl-dev
  sqlite3 curl ca-certificates python3
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
echo "install-deps: all ${#packages[@]} packages present"
