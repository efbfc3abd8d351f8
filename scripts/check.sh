#!/usr/bin/env bash
# The test command: installs what is missing, builds, and runs every test
# (unit, CLI, integration) three ways, stopping at the first failure:
#   1. the release build (build/): every CLI file on a SQLite catalog and again
#      on a PostgreSQL one (`@postgresql`), the date-dependent ones also with a
#      moved clock (`@clock`);
#   2. the whole suite again built with AddressSanitizer and UndefinedBehaviorSanitizer
#      (build-asan/; any report fails the test that caused it), but for the runs
#      with a moved clock, which test dates, not memory; and, to keep CI well
#      within its 90 minutes, the PostgreSQL runs (all but the four files for
#      what only PostgreSQL does: a server restart, a password, several nodes,
#      catalog copy) and the three files whose time goes to their peers (the .deb
#      and lintian; 200 processes of commands the other files run; WordPress and
#      MariaDB), which the release build runs;
#   3. the libFuzzer targets for a bounded time (scripts/fuzz.sh; FUZZ_SECONDS, default 60).
# Options:
#   --quick      only step 1, for a quick round while working
#   --sanitize   only step 2
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
mode=${1:-all}
case "$mode" in all|--quick|--sanitize) ;; *) echo "usage: $0 [--quick|--sanitize]" >&2; exit 2 ;; esac

suite() {  # BUILD_DIR, BUILD_TYPE and CMAKE_EXTRA say which build; CTEST_EXTRA adds ctest
           # options; CTEST_ALSO names more tests (a regex) for a second round
  ( . "$ROOT/scripts/setup.sh"
    cd "$BUILD_DIR"
    ctest --output-on-failure -j "$(nproc)" ${CTEST_EXTRA:-}
    [ -z "${CTEST_ALSO:-}" ] || ctest --output-on-failure -j "$(nproc)" -R "$CTEST_ALSO" )
}

if [ "$mode" != --sanitize ]; then
  BUILD_DIR="$ROOT/build" suite
fi
if [ "$mode" != --quick ]; then
  echo "check: the whole suite under AddressSanitizer and UndefinedBehaviorSanitizer" >&2
  # Linked as a fixed-address executable: as a PIE, the sanitized binary had
  # the loader apply 2.2 million relocations at every start (0.48 s a start,
  # 0.23 s without), and the suite starts it thousands of times.
  BUILD_DIR="$ROOT/build-asan" BUILD_TYPE=Debug \
    CMAKE_EXTRA="-DHOSTCTL_LINK_AT_BUILD=ON -DCMAKE_CXX_FLAGS=-fsanitize=address,undefined\ -fno-omit-frame-pointer\ -fno-sanitize-recover=undefined -DCMAKE_EXE_LINKER_FLAGS=-no-pie" \
    ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 CTEST_EXTRA="-E @clock|@postgresql|t0500-package|t0700-load|t0850-wordpress" \
    CTEST_ALSO="^cli[.]t07[2-5]0-[a-z-]*@postgresql$" suite
fi
if [ "$mode" = all ]; then
  "$ROOT/scripts/fuzz.sh"
fi
