#!/usr/bin/env bash
# Installs what is missing, builds, and runs the main job end to end on a
# throw-away catalog, printing each hostctl command it runs.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/setup.sh"

HOSTCTL="$BUILD_DIR/hostctl"
DEMO=$(mktemp -d "${TMPDIR:-/tmp}/hostctl-demo.XXXXXX")
trap 'rm -rf "$DEMO"' EXIT
export HOSTCTL_CATALOG="$DEMO/catalog.db"

step() {
  printf '\n$ hostctl %s\n' "$*" >&2
  "$HOSTCTL" "$@"
}

step init
step host add control --transport local --base-dir "$DEMO/srv"
step client add acme --email ops@acme.test --max-sites 10
step createservice "$ROOT/schemas/examples/static-site/service.yaml"
step createservice "$ROOT/schemas/examples/notes-sqlite/service.yaml"
step listservices
step host list
step client list
step doctor
echo >&2
echo "demo: done (catalog was $HOSTCTL_CATALOG)" >&2
