#!/usr/bin/env bash
# Secret parameters on a real sshd host: never in the process list (local or
# remote), the output, the logs, the audit trail or `task list`; the catalog
# stays 0600 and every change names the Unix user who made it.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/../rig/rig.sh"
rig_skip_unless_ready
"$HOSTCTL_BIN" init -q >/dev/null
rig_start 1 || exit 1
rig_register || exit 1

# A service with a secret whose install prints it (as a careless script would)
# and then waits while a hold file exists, so the test can look at processes.
mkdir -p "$WORK/vault"
cat > "$WORK/vault/service.yaml" <<'YAML'
name: vault
version: 1
params:
  token: {secret: true, required: true, pattern: "[A-Za-z0-9-]{8,64}"}
  owner: {default: "nobody"}
actions:
  install:
    - name: leak
      run: |
        mkdir -p "$HOSTCTL_ROOT"
        echo "token is $HOSTCTL_PARAM_TOKEN for $HOSTCTL_PARAM_OWNER"
        echo "$HOSTCTL_PARAM_TOKEN" >&2
        touch "$HOSTCTL_BASE_DIR/held"
        while [ -e "$HOSTCTL_BASE_DIR/hold" ]; do sleep 1; done
  verify:
    - name: ok
      run: echo "@hostctl set token_seen=$HOSTCTL_PARAM_TOKEN"
  remove:
    - name: wipe
      run: rm -rf "$HOSTCTL_ROOT"
YAML
"$HOSTCTL_BIN" createservice "$WORK/vault/service.yaml" -q >/dev/null || exit 1
base=${RIG_BASE[1]}
SECRET=Tok-4f9a2c7e1b

# Everything hostctl shows or keeps as text, which must not hold the secret.
expect_no_secret_anywhere() {
  local what
  for what in "task list -o json" "task show $1 -o json" "task log $1" "deployment list -o json" \
              "deployment show $2 -o json" "site list -o json"; do
    hc $what
    printf '%s%s' "$OUT" "$ERR" | grep -qF "$SECRET" && fail "the secret is in '$what'"
  done
  catalog_sql "SELECT line FROM task_log UNION ALL SELECT argv FROM audit UNION ALL SELECT argv FROM command
                              UNION ALL SELECT value FROM directive" | grep -qF "$SECRET" &&
    fail "the secret is in a log line, a recorded command line or a directive"
}

TEST "a secret from the environment: not in any process list, local or remote, while the task runs"
touch "$base/hold"
HOSTCTL_PARAM_TOKEN=$SECRET "$HOSTCTL_BIN" deployservice vault --host rig1 >/dev/null 2>&1 &
pid=$!
wait_until 60 test -e "$base/held"
ps -eo args | grep -F "$SECRET" | grep -v grep && fail "the secret is in the process list"
# It is there, in the environment of the task's processes on the host, which only its user and root can read.
found=""
# The task's sleeps last a second each, and come and go: look for up to 30 s
# (CI runs this beside the load test, where one look can outlast a short sleep).
for n in $(seq 1 300); do
  for holder in $(pgrep -u "$RIG_USER" sleep); do
    tr '\0' '\n' 2>/dev/null < "/proc/$holder/environ" | grep -qx "HOSTCTL_PARAM_TOKEN=$SECRET" && found=1
  done
  [ -n "$found" ] && break
  sleep 0.1
done
[ -n "$found" ] || fail "the task did not get the secret"
rm -f "$base/hold"
wait "$pid"
expect_true test $? = 0
id=$(catalog_sql "SELECT max(id) FROM command WHERE action = 'install'")
dep=$(catalog_sql "SELECT object_name FROM command WHERE id = $id")
hc task log "$id"
expect_out_has "token is ******** for nobody"
expect_no_secret_anywhere "$id" "$dep"

TEST "a secret on the command line: masked in the audit trail and task list, which name the Unix user"
rm -f "$base/held"
hc deployservice vault --host rig1 --param "token=$SECRET" --param owner=ops -o json
expect_rc 0
expect_json "d['params'] == {'token': '********', 'owner': 'ops'}"
id=$(catalog_sql "SELECT max(id) FROM command WHERE action = 'install'")
dep=$(catalog_sql "SELECT object_name FROM command WHERE id = $id")
hc task show "$id" -o json
expect_json "d['user'] == '$(id -un)' and 'token=********' in d['argv'] and 'owner=********' in d['argv']"
hc task list -o json
expect_json "all(c['user'] == '$(id -un)' for c in d)"
expect_no_secret_anywhere "$id" "$dep"

TEST "a secret that does not match its pattern is refused without showing it"
hc deployservice vault --host rig1 --param 'token=bad value!'
expect_rc 2
expect_err_has "parameter 'token' (secret) does not match"
printf '%s' "$ERR" | grep -qF "bad value!" && fail "the refused secret was shown"
HOSTCTL_PARAM_TOKEN='bad value!' hc deployservice vault --host rig1
expect_rc 2
printf '%s' "$ERR" | grep -qF "bad value!" && fail "the refused secret was shown"
hc deployservice vault --host rig1
expect_rc 2
expect_err_has "needs --param token=... (or HOSTCTL_PARAM_TOKEN in the environment)"

TEST "a PostgreSQL catalog's password: from PGPASSFILE, refused on the command line, masked in messages"
# A server that asks this role for its password (scram-sha-256), beside the
# trust the rest of the suite uses.
if ! is_postgres; then
  . "$HOSTCTL_SOURCE_DIR/tests/rig/postgres.sh"
  pg_start || exit 1
  trap 'pg_stop; cleanup_environment' EXIT
fi
PGPW=Pg-pw-8d2e61c0
psql -q "$PG_URI_BASE/postgres" <<SQL >/dev/null
CREATE ROLE keeper LOGIN PASSWORD '$PGPW';
CREATE DATABASE kept OWNER keeper;
SQL
pg_as_owner sed -i '1i host all keeper 127.0.0.1/32 scram-sha-256' "$PG_DIR/data/pg_hba.conf"
pg_as_owner "$PG_BIN/pg_ctl" -D "$PG_DIR/data" reload >/dev/null
kept="postgresql://keeper@127.0.0.1:$PG_PORT/kept"
kept_tables() { psql -tA "$PG_URI_BASE/kept" -c "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"; }
for given in "postgresql://keeper:$PGPW@127.0.0.1:$PG_PORT/kept" "$kept?password=$PGPW"; do
  hc --catalog "$given" init
  expect_rc 2
  expect_err_has "a password on the command line shows in any user's ps"
  expect_err_has "~/.pgpass or the file PGPASSFILE names"
  printf '%s' "$ERR" | grep -qF "$PGPW" && fail "the refused password was shown"
done
hc catalog copy --to "postgresql://keeper:$PGPW@127.0.0.1:$PG_PORT/kept"
expect_rc 2
printf '%s' "$ERR" | grep -qF "$PGPW" && fail "the refused password was shown"
expect_true test "$(kept_tables)" = 0
HOSTCTL_CATALOG=$kept hc init
expect_rc 6
expect_err_has "password"
HOSTCTL_CATALOG="postgresql://keeper:Wrong-pw-1@127.0.0.1:$PG_PORT/kept" hc init
expect_rc 6
expect_err_has "keeper:***@"
printf '%s' "$ERR" | grep -qF "Wrong-pw-1" && fail "the wrong password was shown"
expect_true test "$(kept_tables)" = 0
printf '127.0.0.1:%s:kept:keeper:%s\n' "$PG_PORT" "$PGPW" > "$WORK/pgpass"
chmod 600 "$WORK/pgpass"
HOSTCTL_CATALOG=$kept PGPASSFILE="$WORK/pgpass" hc init
expect_rc 0
HOSTCTL_CATALOG=$kept PGPASSFILE="$WORK/pgpass" hc host add control --transport local --base-dir "$WORK/srv-kept" --role web
expect_rc 0
HOSTCTL_CATALOG=$kept PGPASSFILE="$WORK/pgpass" hc host list -o json
expect_json "[h['name'] for h in d] == ['control']"
psql -tA "$PG_URI_BASE/kept" -c "SELECT argv FROM command UNION ALL SELECT argv FROM audit" | grep -qF "$PGPW" &&
  fail "the password is in a recorded command line"

TEST "the catalog file (on PostgreSQL, the key file) stays 0600"
# A PostgreSQL catalog is the server's files, kept by its own user.
if is_postgres; then expect_true test "$(stat -c %a "$(catalog_key_file)")" = 600
else expect_true test "$(stat -c %a "$HOSTCTL_CATALOG")" = 600; fi

done_testing
