#!/usr/bin/env bash
# The README's first command, scripts/demo.sh, with the built binary: it must
# end with exit 0, show the page served over HTTPS after the launch and after the switch,
# and leave no sandbox process or directory behind (it once exited 137 from
# its own cleanup, leaving an sshd and nginx running).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/../rig/rig.sh"
rig_skip_unless_ready
[ -x "$RIG_NGINX" ] || { echo "skip: nginx is not installed"; exit 77; }

TEST "demo.sh runs the main job end to end and cleans up"
# Its own TMPDIR, so what it leaves is told apart from other tests' rigs; the
# hosts' user must be able to reach it.
chmod 711 "$WORK"
mkdir -m 755 "$WORK/tmp"
TMPDIR="$WORK/tmp" run_cmd bash "$HOSTCTL_SOURCE_DIR/scripts/demo.sh"
expect_rc 0
[ "$(printf '%s' "$OUT" | grep -c "<h1>Acme Shop</h1>")" = 2 ] || fail "the page was not served twice (launch, switch)"
expect_out_has "Pebble"  # the certificate route show printed
expect_err_has "https://shop.example:"  # plain HTTP answered with a redirect to HTTPS
expect_err_has "demo: done"
[ -z "$(ls "$WORK/tmp")" ] || fail "left behind: $(ls "$WORK/tmp")"
pgrep -f "$WORK/tmp" >/dev/null && fail "a process of the demo's sandbox still runs"

done_testing
