#!/usr/bin/env bash
# The README's tour, run as a newcomer would: from the source tree, with
# hostctl on PATH and a fresh HOME.
. "$(dirname "$0")/lib.sh"
unset HOSTCTL_CATALOG
export PATH="$(dirname "$HOSTCTL_BIN"):$PATH"
sed -n '/^<!-- tour -->$/,/^<!-- \/tour -->$/p' "$HOSTCTL_SOURCE_DIR/README.md" | sed '/^<!--/d; /^```/d' > "$WORK/tour.sh"

TEST "the README's tour runs"
expect_true test "$(wc -l < "$WORK/tour.sh")" -gt 5
(cd "$HOSTCTL_SOURCE_DIR" && bash -e "$WORK/tour.sh") >"$WORK/out" 2>"$WORK/err"
RC=$?
LAST_CMD="README tour"
expect_rc 0
expect_true test -f "$HOME/.local/share/hostctl/catalog.db"
n=$(hostctl deployment list --site shop -o json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
expect_true test "$n" = 2
hostctl site show shop --field active_deployment > "$WORK/active"
expect_true test -s "$WORK/active"

done_testing
