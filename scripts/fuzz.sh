#!/usr/bin/env bash
# Builds the libFuzzer targets under fuzz/ with clang (in build-fuzz/) and runs
# each for a bounded time, starting from its seed corpus in fuzz/corpus/.
#   FUZZ_SECONDS   seconds per target (default 60)
# Any crash, sanitizer report, hang over 10 s or use of more than 2 GiB fails;
# the input that did it is left in build-fuzz/fuzz/findings/.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export BUILD_DIR="$ROOT/build-fuzz" CC=clang CXX=clang++
export CMAKE_EXTRA="-DHOSTCTL_FUZZ=ON -DBUILD_TESTING=OFF" BUILD_TARGETS="fuzz_service_plan fuzz_directive"
export EXTRA_PACKAGES="clang libclang-rt-14-dev"
. "$ROOT/scripts/setup.sh"

seconds=${FUZZ_SECONDS:-60}
findings="$BUILD_DIR/fuzz/findings"
mkdir -p "$findings"
for target in service_plan directive; do
  corpus="$BUILD_DIR/fuzz/corpus-$target"  # grows across runs; the seeds stay in git
  mkdir -p "$corpus"
  echo "fuzz: $target for ${seconds}s" >&2
  "$BUILD_DIR/fuzz/fuzz_$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=8192 \
    -print_final_stats=1 -artifact_prefix="$findings/$target-" "$corpus" "$ROOT/fuzz/corpus/$target" \
    2> "$BUILD_DIR/fuzz/$target.log" || {
    tail -40 "$BUILD_DIR/fuzz/$target.log" >&2
    echo "fuzz: $target failed; the input is in $findings" >&2
    exit 1
  }
  grep -E '^stat::number_of_executed_units|^stat::peak_rss_mb' "$BUILD_DIR/fuzz/$target.log" | sed "s/^/fuzz: $target /" >&2
done
