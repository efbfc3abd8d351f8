#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test (unit, CLI, integration).
#   --sanitize   build in build-asan/ with AddressSanitizer and UndefinedBehaviorSanitizer
#                and run the whole suite there; any report fails the tests.
set -euo pipefail
if [ "${1:-}" = --sanitize ]; then
  export BUILD_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/build-asan" BUILD_TYPE=Debug
  export CMAKE_EXTRA="-DCMAKE_CXX_FLAGS=-fsanitize=address,undefined\ -fno-omit-frame-pointer\ -fno-sanitize-recover=undefined"
  export ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1
fi
. "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
cd "$BUILD_DIR"
ctest --output-on-failure -j "$(nproc)"
