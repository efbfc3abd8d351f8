#!/usr/bin/env bash
# The SSH engine against real sshd hosts on loopback: success, failure, a dead
# host, a wrong key, unknown and changed host keys, timeouts, a connection
# killed mid-task, hostctl killed mid-task, cancel, the duplicate guard, and
# eight hosts in parallel.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/../rig/rig.sh"
rig_skip_unless_ready
"$HOSTCTL_BIN" init -q >/dev/null
rig_start 8 || exit 1
rig_nginx_start || exit 1
rig_register || exit 1
"$HOSTCTL_BIN" host edit rig8 --role router -q >/dev/null

# Is a process of the rig user running this command line?
remote_running() { pgrep -u "$RIG_USER" -f "$1" >/dev/null; }
# The status name of command $1.
status_of() { "$HOSTCTL_BIN" task show "$1" --field status_name; }

TEST "host verify: eight hosts in parallel, results recorded"
hc host verify --jobs 8 -o json
expect_rc 0
expect_json "len(d) == 8 and all(r['status_name'] == 'COMPLETED' for r in d)"
expect_json "[r for r in d if r['host'] == 'rig8'][0]['facts']['nginx'] != ''"
hc host list -o json
expect_json "all(h['verify_result'] == 'ok' and h['verified_at'] for h in d)"

TEST "the Ansible inventory reaches the hosts as hostctl does: ansible -m ping succeeds"
command -v ansible >/dev/null || { echo "skip: ansible-core is not installed (scripts/setup.sh installs it)"; exit 77; }
"$HOSTCTL_BIN" host list -o ansible > "$WORK/hosts.yaml"
mkdir -p "$WORK/ansible"
run_cmd env ANSIBLE_LOCAL_TEMP="$WORK/ansible" ANSIBLE_REMOTE_TMP=/tmp/.ansible-hostctl-test ANSIBLE_NOCOLOR=1 \
  ANSIBLE_PYTHON_INTERPRETER=/usr/bin/python3 ansible -i "$WORK/hosts.yaml" 'rig1:rig2:rig3' -m ping -o
expect_rc 0
expect_true test "$(printf '%s\n' "$OUT" | grep -c 'SUCCESS')" = 3

TEST "host exec: output per host, inputs in the environment, one session per host"
hc host exec rig1 rig2 -- 'echo "$HOSTCTL_HOST as $(id -un)"' -o json
expect_rc 0
hc host exec rig1 rig2 -o json -- 'echo "$HOSTCTL_HOST as $(id -un)"'
expect_rc 0
expect_json "[r['stdout'] for r in d] == [['rig1 as $RIG_USER'], ['rig2 as $RIG_USER']]"
before=$(grep -c "Accepted publickey" "$RIG_DIR/host1/sshd.log")
hc host exec rig1 -- true
after=$(grep -c "Accepted publickey" "$RIG_DIR/host1/sshd.log")
expect_true test $((after - before)) = 1

TEST "values travel in the environment, quoted, never pasted into the command line"
hc host exec rig1 -o json -- 'printf "%s|%s" "$HOSTCTL_BASE_DIR" "$HOSTCTL_ROLES"'
expect_rc 0
expect_json "d[0]['stdout'] == ['${RIG_BASE[1]}|web']"
grep -q "HOSTCTL" "$RIG_DIR/host1/sshd.log" && fail "a catalog value reached sshd's command line"

TEST "a failing script: exit 5, the failing step, its exit code and last log lines"
hc host exec rig1 -- 'echo preparing; echo "disk full" >&2; exit 3'
expect_rc 5
expect_err_has "task 'exec' on host 'rig1' failed: exit code 3"
expect_err_has "disk full"
expect_err_has "hostctl task retry"
id=$(catalog_sql "SELECT max(id) FROM command")
hc task log "$id"
expect_out_has "rig1 exec: preparing"
expect_out_has "rig1 exec (err): disk full"
hc task show "$id" -o json
expect_json "d['status'] == 9 and d['tasks'][0]['exit_code'] == 3"

TEST "directives are parsed and recorded"
hc host exec rig2 -- 'echo "@hostctl set color=blue"; echo "@hostctl progress 2/4"; echo "@hostctl bogus"'
expect_rc 0
id=$(catalog_sql "SELECT max(id) FROM command")
expect_true test "$(catalog_sql "SELECT key || '=' || value FROM directive d JOIN task t ON t.id = d.task_id WHERE t.command_id = $id AND kind = 'set'")" = "color=blue"
hc task show "$id" -o json
expect_json "d['tasks'][0]['progress'] == '2/4'"
hc task log "$id"
expect_out_has "ignored: malformed @hostctl directive"

TEST "a dead host is reported (exit 6) and never blocks the others"
rig_kill_host 3
start=$(date +%s%N)
hc host exec rig1 rig2 rig3 rig4 -o json -- 'echo up'
took=$(( ($(date +%s%N) - start) / 1000000 ))
expect_rc 6
expect_json "[r['status_name'] for r in d] == ['COMPLETED', 'COMPLETED', 'FAILED', 'COMPLETED']"
expect_json "'cannot connect to host' in d[2]['error']"
expect_true test "$took" -lt 5000
rig_start_sshd 3

TEST "a key the host does not accept: exit 6, nothing run"
ssh-keygen -q -t ed25519 -N '' -f "$WORK/other_key"
"$HOSTCTL_BIN" host add wrongkey --address "${RIG_ADDR[4]}" --port "${RIG_PORT[4]}" --user "$RIG_USER" \
  --identity "$WORK/other_key" --base-dir "${RIG_BASE[4]}" -q >/dev/null
hc host exec wrongkey -- 'touch "$HOSTCTL_BASE_DIR/should-not-exist"'
expect_rc 6
expect_err_has "refused public-key authentication for user '$RIG_USER'"
expect_true test ! -e "${RIG_BASE[4]}/should-not-exist"
hc host verify wrongkey
expect_rc 6
hc host show wrongkey --field verify_result
expect_out_has "refused public-key authentication"

TEST "an unknown host key is refused until accepted explicitly"
grep -v "^\[${RIG_ADDR[5]}\]" "$RIG_KNOWN_HOSTS" > "$WORK/kh" && cat "$WORK/kh" > "$RIG_KNOWN_HOSTS"
hc host exec rig5 -- true
expect_rc 6
expect_err_has "host key of host 'rig5'"
expect_err_has "is not known (SHA256:"
expect_err_has "--accept-new-key"
printf '%s' "$ERR" | grep -q "task retry" && fail "a retry cannot help with an unknown host key, yet it is hinted"
hc host verify rig5 --accept-new-key
expect_rc 0
expect_true grep -q "^\[${RIG_ADDR[5]}\]:${RIG_PORT[5]} " "$RIG_KNOWN_HOSTS"
hc host exec rig5 -- true
expect_rc 0

TEST "a changed host key is always refused, naming both fingerprints"
old=$(ssh-keygen -l -E sha256 -f "$RIG_DIR/host6/ssh_host_ed25519_key.pub" | cut -d' ' -f2)
rig_new_host_key 6
new=$(ssh-keygen -l -E sha256 -f "$RIG_DIR/host6/ssh_host_ed25519_key.pub" | cut -d' ' -f2)
hc host exec rig6 -- 'touch "$HOSTCTL_BASE_DIR/should-not-exist"'
expect_rc 6
expect_err_has "host key of host 'rig6'"
expect_err_has "CHANGED"
expect_err_has "known $old"
expect_err_has "offered $new"
printf '%s' "$ERR" | grep -q "task retry" && fail "a retry cannot help with a changed host key, yet it is hinted"
hc host verify rig6 --accept-new-key
expect_rc 6
expect_true test ! -e "${RIG_BASE[6]}/should-not-exist"

TEST "~/.ssh/config is honoured: an alias with HostName and User"
printf 'Host rig-alias\n  HostName %s\n  User %s\n' "${RIG_ADDR[7]}" "$RIG_USER" > "$RIG_SSH_CONFIG"
"$HOSTCTL_BIN" host add aliased --address rig-alias --port "${RIG_PORT[7]}" --identity "$RIG_KEY" \
  --base-dir "${RIG_BASE[7]}" -q >/dev/null
hc host exec aliased -o json -- 'id -un'
expect_rc 0
expect_json "d[0]['stdout'] == ['$RIG_USER']"
: > "$RIG_SSH_CONFIG"

TEST "a task that outlives its timeout is stopped on the host"
start=$(date +%s)
hc --timeout 2s host exec rig2 -- 'sleep 120 & sleep 121; echo never'
expect_rc 5
expect_err_has "timed out after 2s"
expect_true test $(( $(date +%s) - start )) -lt 60
sleep 1
remote_running "sleep 12[01]" && fail "the timed-out task still runs on the host"

TEST "a connection killed mid-task: exit 6, the log says so, the catalog is consistent"
("$HOSTCTL_BIN" host exec rig7 -- 'echo started; sleep 30' >"$WORK/k.out" 2>"$WORK/k.err"; echo $? >"$WORK/k.rc") &
pid=$!
wait_until 60 remote_running "sleep 30"
rig_kill_connections 7
wait "$pid"
expect_true test "$(cat "$WORK/k.rc")" = 6
grep -q "connection lost" "$WORK/k.err" || fail "stderr does not say the connection was lost"
id=$(catalog_sql "SELECT max(id) FROM command")
expect_true test "$(status_of "$id")" = FAILED
hc task log "$id"
expect_out_has "started"
pkill -u "$RIG_USER" -f "sleep 30"

TEST "hostctl killed with SIGKILL mid-task: seen as interrupted, retry finishes the work"
"$HOSTCTL_BIN" host exec rig1 -- 'sleep 2; echo finished >> "$HOSTCTL_BASE_DIR/marker"' >/dev/null 2>&1 &
pid=$!
wait_until 60 remote_running "sleep 2"
kill -KILL "$pid"
wait "$pid" 2>/dev/null
id=$(catalog_sql "SELECT max(id) FROM command")
hc task list -o json
expect_json "[c for c in d if c['id'] == $id][0]['status_name'] == 'INTERRUPTED'"
hc task show "$id" -o json
expect_json "d['status'] == 9 and d['interrupted'] and 'interrupted' in d['tasks'][0]['error']"
hc doctor
expect_rc 0
hc task retry "$id" -o json
expect_rc 0
expect_json "d['status'] == 5 and d['tasks'][0]['status'] == 5"
hc task retry "$id"
expect_rc 4

TEST "one outstanding command per action and object: a second one is busy (exit 7)"
"$HOSTCTL_BIN" host exec rig4 -- 'sleep 3' >/dev/null 2>&1 &
pid=$!
wait_until 60 remote_running "sleep 3"
hc host exec rig4 -- 'echo second'
expect_rc 7
expect_err_has "already running"
wait "$pid"

TEST "task cancel stops running work on the host"
"$HOSTCTL_BIN" host exec rig2 -- 'sleep 45' >"$WORK/c.out" 2>"$WORK/c.err" &
pid=$!
wait_until 60 remote_running "sleep 45"
id=$(catalog_sql "SELECT max(id) FROM command")
hc task cancel "$id" -o json
expect_rc 0
expect_json "d['status'] == 9 and 'cancelled' in d['error']"
wait "$pid"
expect_true test $? = 130
sleep 0.5
remote_running "sleep 45" && fail "the cancelled task still runs on the host"
hc task cancel "$id"
expect_rc 4

TEST "a slow host does not hold up the others"
hc --jobs 8 host exec rig1 rig2 rig4 rig5 rig7 rig8 -o json -- \
  'if [ "$HOSTCTL_HOST" = rig1 ]; then sleep 2; fi; date +%s%N'
expect_rc 0
expect_json "max(int(r['stdout'][0]) for r in d[1:]) < int(d[0]['stdout'][0])"

TEST "task log --follow streams until the command ends"
last=$(catalog_sql "SELECT coalesce(max(id), 0) FROM command")
"$HOSTCTL_BIN" host exec rig5 -- 'for i in 1 2 3; do echo tick$i; sleep 0.3; done' >/dev/null 2>&1 &
follow_pid=$!
# Follow the exec's own command, once it is recorded (a slow start under ASan took over 0.3 s).
id=$last
for _ in $(seq 1 100); do
  id=$(catalog_sql "SELECT coalesce(max(id), 0) FROM command")
  [ "$id" -gt "$last" ] && break
  sleep 0.05
done
hc task log "$id" --follow
expect_rc 0
expect_out_has "tick3"
wait "$follow_pid"

TEST "task list filters"
hc task list --failed -o json
expect_json "len(d) > 0 and all(c['status'] == 9 for c in d)"
hc task list --status bogus
expect_rc 2
hc task show 99999
expect_rc 3
hc task log abc
expect_rc 2

done_testing
