#!/usr/bin/env bash
# What a person at a terminal sees: status names in colour (only on a terminal,
# or when asked; never with NO_COLOR or --no-color, never in JSON), and a live
# progress line per host from the tasks' "@hostctl progress N/M" lines.
. "$(dirname "$0")/lib.sh"
PTY="$(dirname "$0")/pty-run.py"
H=$HOSTCTL_BIN
$H init -q >/dev/null || exit 1
for h in alpha beta; do
  $H host add $h --transport local --base-dir "$WORK/$h" -q >/dev/null || exit 1
done
$H host exec alpha -q -- true >/dev/null || exit 1
$H host exec beta -q -- false >/dev/null 2>&1
GREEN=$'\033[32mCOMPLETED\033[0m'
RED=$'\033[31mFAILED\033[0m'
has() { printf '%s' "$OUT" | grep -qF -- "$1"; }
no_escape() { ! printf '%s' "$OUT" | grep -q $'\033'; }

TEST "color always: status names in colour, the columns still aligned"
HOSTCTL_COLOR=always hc task list
expect_rc 0
has "$GREEN" || fail "no green COMPLETED"
has "$RED" || fail "no red FAILED"
plain=$(printf '%s' "$OUT" | sed 's/\x1b\[[0-9]*m//g')
hc task list
[ "$plain" = "$OUT" ] || fail "the coloured table is not the plain one with colour codes"

TEST "never coloured in a pipe, in JSON, with NO_COLOR or --no-color"
hc task list
no_escape || fail "colour in a pipe"
HOSTCTL_COLOR=always hc task list -o json
no_escape || fail "colour in JSON"
NO_COLOR=1 HOSTCTL_COLOR=always hc task list
no_escape || fail "NO_COLOR ignored"
HOSTCTL_COLOR=always hc task list --no-color
no_escape || fail "--no-color ignored"
hc task list --color
expect_rc 2

TEST "auto: coloured on a terminal, and 'task show' colours its tasks"
run_cmd python3 "$PTY" "$H" task list
expect_rc 0
has "$GREEN" || fail "no colour on a terminal"
run_cmd python3 "$PTY" "$H" task show 1
expect_rc 0
[ "$(printf '%s' "$OUT" | grep -cF -- "$GREEN")" = 2 ] || fail "the command's and its task's status not in colour"
run_cmd env NO_COLOR=1 python3 "$PTY" "$H" task show 1
expect_rc 0
no_escape || fail "NO_COLOR ignored on a terminal"
has "tasks:" || fail "no tasks table"

TEST "a live progress line per host, from the tasks' progress lines"
script='echo "@hostctl progress 1/3"; sleep 0.3; echo "@hostctl progress 2/3"; sleep 0.3'
run_cmd python3 "$PTY" "$H" host exec alpha beta -- "$script"
expect_rc 0
has "alpha: exec 1/3" || fail "no progress of alpha"
has "beta: exec 2/3" || fail "no progress of beta"
has "hostctl: 2/2 done" || fail "no final count"
# Only on a terminal: nothing of it in a pipe or a log.
hc host exec alpha -- "$script"
printf '%s' "$ERR" | grep -q "done" && fail "progress written to a pipe"
run_cmd python3 "$PTY" "$H" host exec alpha -q -- "$script"
has "alpha: exec" && fail "progress despite --quiet"
true

done_testing
