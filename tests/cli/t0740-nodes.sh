#!/usr/bin/env bash
# Several control nodes on one catalog (HOSTCTL_NODE): each command records the
# node that runs it and a lease that node renews. A node judges its own
# commands by their process, another node's only by the lease (its pids mean
# nothing here); 'task cancel' from any node stops the work where it runs.
. "$(dirname "$0")/lib.sh"
H=$HOSTCTL_BIN
$H init -q >/dev/null || exit 1
$H host add h --transport local --base-dir "$WORK/h" -q >/dev/null || exit 1
# A task that waits (sleep 37, found again by pkill) until $WORK/go exists.
WAIT='i=0; while [ ! -e '"$WORK"'/go ] && [ $i -lt 370 ]; do sleep 0.1; i=$((i+1)); done'
trap 'pkill -f "hostctl-test-wait" 2>/dev/null; rm -rf "$WORK"; ! is_postgres || pg_stop' EXIT
SCRIPT="$WAIT # hostctl-test-wait"

# Starts `host exec h` on node $1 in the background (lease $2) and waits until it runs.
start_on() {
  rm -f "$WORK/go"
  HOSTCTL_NODE=$1 HOSTCTL_NODE_LEASE=$2 "$H" host exec h -q -- "$SCRIPT" >/dev/null 2>&1 &
  BG=$!
  for _ in $(seq 100); do
    ID=$(catalog_sql "SELECT id FROM command WHERE status = 1 ORDER BY id DESC LIMIT 1")
    [ -n "$ID" ] && return 0
    sleep 0.1
  done
  fail "the command on node $1 did not start"
}
status_on() {  # NODE: the command's status as that node judges it
  HOSTCTL_NODE=$1 "$H" task show "$ID" --field status_name
}

TEST "each command records the node that ran it (default: the host name)"
HOSTCTL_NODE=n1 hc host exec h -- true
expect_rc 0
hc task show "$(catalog_sql "SELECT max(id) FROM command")" -o json
expect_json "d['node'] == 'n1'"
hc task list
expect_out_has "NODE"
expect_out_has " n1 "
hc host exec h -- true
hc task list -n 1 -o json
expect_json "d[0]['node'] == '$(hostname | cut -d. -f1)'"
HOSTCTL_NODE='bad node' hc task list
expect_rc 2
expect_err_has "node"

TEST "another node's busy message names the node that holds the work"
start_on alpha 30s
HOSTCTL_NODE=beta hc host exec h -- true
expect_rc 7
expect_err_has "on node alpha"
touch "$WORK/go"
wait "$BG"

TEST "a live node renews its lease: another node never takes its work for dead"
start_on alpha 3s
sleep 5  # longer than the lease: only renewals keep it
[ "$(status_on beta)" = PENDING ] || fail "beta took alpha's running command for interrupted"
touch "$WORK/go"
wait "$BG"
expect_true [ "$(status_on beta)" = COMPLETED ]

TEST "a node killed mid-command: its own node sees it at once, another once the lease ran out"
start_on alpha 3s
kill -9 "$BG"
wait "$BG" 2>/dev/null
[ "$(status_on beta)" = PENDING ] || fail "beta judged alpha's command by a pid"
sleep 4
[ "$(status_on beta)" = INTERRUPTED ] || fail "beta did not see the expired lease"
# The same on alpha itself, by the process: no lease to wait for.
killed=$ID
start_on alpha 30s
kill -9 "$BG"
wait "$BG" 2>/dev/null
[ "$(status_on alpha)" = INTERRUPTED ] || fail "alpha did not see its own dead process"

TEST "task retry from the other node finishes the work"
touch "$WORK/go"
HOSTCTL_NODE=beta hc task retry "$killed"
expect_rc 0
hc task show "$killed" -o json
expect_json "d['status_name'] == 'COMPLETED' and d['node'] == 'beta'"

TEST "task cancel from another node stops the work on the node that runs it"
start_on alpha 30s
HOSTCTL_NODE=beta hc task cancel "$ID"
expect_rc 0
expect_err_has "is FAILED"
wait "$BG"
rc=$?
[ "$rc" = 130 ] || fail "alpha's hostctl exited $rc, not 130 (interrupted)"
hc task show "$ID" -o json
expect_json "d['status_name'] == 'FAILED' and 'cancel' in d['error']"

TEST "two nodes drain 200 queued commands at once: each command runs exactly once"
$H createservice "$EXAMPLES/static-site/service.yaml" -q >/dev/null
$H host edit h --capacity 300 -q >/dev/null
for i in $(seq 200); do $H deployservice static-site --host h --async -q >/dev/null || fail "queueing $i"; done
expect_true test "$(catalog_sql "SELECT count(*) FROM command WHERE status = 0")" = 200
HOSTCTL_NODE=alpha "$H" queue run tasks -o json >"$WORK/alpha.json" 2>"$WORK/alpha.err" &
a=$!
HOSTCTL_NODE=beta "$H" queue run tasks -o json >"$WORK/beta.json" 2>"$WORK/beta.err" &
b=$!
wait "$a" || fail "alpha's queue run exited $?: $(tail -3 "$WORK/alpha.err")"
wait "$b" || fail "beta's queue run exited $?: $(tail -3 "$WORK/beta.err")"
# At most 100 a run: both worked, and between them ran all 200.
ran() { python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))[0]["ran"])' "$WORK/$1.json"; }
expect_true test "$(ran alpha)" = 100
expect_true test "$(ran beta)" = 100
expect_true test "$(catalog_sql "SELECT node || ':' || count(*) FROM command WHERE action = 'install' AND
                                 status = 5 GROUP BY node ORDER BY node" | paste -sd' ')" = "alpha:100 beta:100"
# 200 runs between them and all 200 completed: none ran twice (it would have
# left another unrun). Each installed its own copy.
expect_true test "$(catalog_sql "SELECT count(DISTINCT deployment_id) FROM task t JOIN command c ON
                                 c.id = t.command_id WHERE c.action = 'install'")" = 200
expect_true test "$(catalog_sql "SELECT count(*) FROM command WHERE action = 'install' AND status != 5")" = 0

done_testing
