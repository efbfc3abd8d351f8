#!/usr/bin/env bash
# The README's first command, scripts/demo.sh, with the built binary: it must
# end with exit 0, show the page served over HTTPS after the launch and after the switch,
# and leave no sandbox process or directory behind (it once exited 137 from
# its own cleanup, leaving an sshd and nginx running). On the PostgreSQL pass it
# runs `demo.sh --postgres`: the catalog on its own PostgreSQL server, two nodes.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/../rig/rig.sh"
rig_skip_unless_ready
[ -x "$RIG_NGINX" ] || { echo "skip: nginx is not installed"; exit 77; }

TEST "demo.sh runs the main job end to end and cleans up"
# Its own TMPDIR, so what it leaves is told apart from other tests' rigs; the
# hosts' user must be able to reach it.
chmod 711 "$WORK"
mkdir -m 755 "$WORK/tmp"
if is_postgres; then demo_args=(--postgres); else demo_args=(); fi
TMPDIR="$WORK/tmp" run_cmd bash "$HOSTCTL_SOURCE_DIR/scripts/demo.sh" "${demo_args[@]}"
expect_rc 0
if is_postgres; then
  expect_err_has "HOSTCTL_CATALOG=postgresql://"
  # Both nodes did part of the work, and task list says which.
  printf '%s' "$OUT" | grep -q " node-a " || fail "task list shows no command of node-a"
  printf '%s' "$OUT" | grep -q " node-b " || fail "task list shows no command of node-b"
fi
[ "$(printf '%s' "$OUT" | grep -c "<h1>Acme Shop</h1>")" = 2 ] || fail "the page was not served twice (launch, switch)"
expect_out_has "Pebble"  # the certificate route show printed
expect_err_has "https://shop.example:"  # plain HTTP answered with a redirect to HTTPS
expect_err_has "demo: done"
[ -z "$(ls "$WORK/tmp")" ] || fail "left behind: $(ls "$WORK/tmp")"
pgrep -f "$WORK/tmp" >/dev/null && fail "a process of the demo's sandbox still runs"

done_testing
