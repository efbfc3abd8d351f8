#!/usr/bin/env bash
# Installs the Debian packages hostctl needs (only those missing), then builds.
# Sourced by demo.sh, check.sh and fuzz.sh; BUILD_DIR may be set (default: build),
# EXTRA_PACKAGES adds packages, BUILD_TARGETS limits what is built.
set -euo pipefail

PACKAGES=(g++ cmake ninja-build pkg-config libcli11-dev libsqlitecpp-dev libfmt-dev libyaml-cpp-dev libssh-dev libcurl4-openssl-dev libssl-dev
  catch2 libsqlite3-dev nlohmann-json3-dev sqlite3 openssh-server openssh-client nginx-light groff-base
  python3 curl procps dpkg-dev util-linux faketime openssl pebble lego php8.2-fpm php8.2-cli php8.2-mysql libsodium-dev mariadb-server mariadb-client wordpress wordpress-theme-twentytwentythree zsh fish ansible-core lintian file postgresql postgresql-client libpq-dev ${EXTRA_PACKAGES:-})

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}" >&2
  SUDO=""
  [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$ROOT/build}
eval cmake -S "\"$ROOT\"" -B "\"$BUILD_DIR\"" -G Ninja -DCMAKE_BUILD_TYPE="${BUILD_TYPE:-RelWithDebInfo}" "${CMAKE_EXTRA:-}" >/dev/null
cmake --build "$BUILD_DIR" -j "$(nproc)" ${BUILD_TARGETS:+--target $BUILD_TARGETS}
