#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test (unit, CLI, integration).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
cd "$BUILD_DIR"
ctest --output-on-failure -j "$(nproc)"
