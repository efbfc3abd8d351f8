#!/usr/bin/env bash
# hostctl catalog copy: the whole catalog (inventory, history, sealed secrets
# and their key) moved to a new catalog on the other engine (SQLite to a real
# PostgreSQL server, or back when the suite runs on PostgreSQL), checked row by
# row; refused, changing nothing, when the target holds rows or commands run.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/../rig/postgres.sh"
pg_skip_unless_ready
H=$HOSTCTL_BIN
$H init -q >/dev/null
mkdir -p "$WORK/srv"
$H host add control --transport local --base-dir "$WORK/srv" --role web --role router -q >/dev/null
printf 'Admin pw 7 "quoted"\n' > "$WORK/admin.pw"
$H host add db1 --address 127.0.0.9 --role db --db-engine mariadb --db-admin-user root \
  --db-admin-password-file "$WORK/admin.pw" -q >/dev/null
$H client add acme --email ops@acme.test --max-sites 3 -q >/dev/null
$H createservice "$EXAMPLES/static-site/service.yaml" -q >/dev/null
$H site create shop --service static-site --client acme --host control --param 'title=Quote "this" 0123' -q >/dev/null
$H route add shop.test --site shop --primary -q >/dev/null
$H site backup shop -q >/dev/null
$H host exec control -q -- 'echo a line of history' >/dev/null

if is_postgres; then
  other_engine() { echo "$WORK/$1.db"; }
else
  pg_start || exit 1
  trap 'pg_stop; cleanup_environment' EXIT
  other_engine() { pg_new_database "$1"; }
fi
target=$(other_engine copied)
on_target() { HOSTCTL_CATALOG="$target" "$@"; }

# What both catalogs must show alike: the inventory with its secrets open, the
# history and the audit trail.
views() {
  "$H" export --with-secrets
  "$H" task list -n 1000 -o json
  "$H" task log 1 -o json
  "$H" audit list -n 1000 -o json | python3 -c 'import json, sys; d = json.load(sys.stdin)
print(json.dumps([a for a in d if not a["action"].startswith("catalog copy")]))'
}

TEST "catalog copy moves every row and the secret key to the other engine, checked row by row; the copy works"
views > "$WORK/before.txt"
hc catalog copy --to "$target" -o json
expect_rc 0
expect_json "d['created'] and d['tables']['site'] == 1 and d['tables']['command'] >= 3 and d['tables']['task_log'] > 0"
expect_json "d['rows'] == sum(d['tables'].values()) and d['tables']['secret'] == 1"
expect_err_has "each read back and compared"
key=$(printf '%s' "$OUT" | python3 -c 'import json, sys; print(json.load(sys.stdin)["key_file"])')
expect_true test "$(stat -c %a "$key")" = 600
expect_true cmp -s "$key" "$(catalog_key_file)"
on_target views > "$WORK/after.txt"
expect_true cmp -s "$WORK/before.txt" "$WORK/after.txt"
expect_true grep -q 'hostctl-secret:Admin pw 7' "$WORK/after.txt"
on_target hc audit list -n 1 -o json
expect_json "d[0]['action'].startswith('catalog copy from')"
on_target hc doctor
expect_rc 0
# New rows take ids after the copied ones, and the copy runs work.
on_target hc client add other -o json
expect_rc 0
expect_json "d['id'] == 2"
on_target hc host exec control -o json -- 'echo from the copy'
expect_rc 0
expect_json "d[0]['stdout'] == ['from the copy']"
on_target hc task show "$(on_target "$H" task list -n 1 -o id)" -o json
expect_json "d['id'] > $(catalog_sql 'SELECT max(id) FROM command')"

TEST "a catalog that holds rows is refused, and so is the source itself, changing nothing"
before=$(catalog_digest "$target")
hc catalog copy --to "$target"
expect_rc 4
expect_err_has "is not empty (host has rows): a copy goes to a new catalog"
hc catalog copy --to "$HOSTCTL_CATALOG"
expect_rc 2
expect_err_has "--to names the catalog being copied"
hc catalog copy
expect_rc 2
expect_err_has "--to"
expect_true test "$before" = "$(catalog_digest "$target")"

TEST "while a command of the source runs, the copy is refused (exit 7) and writes nothing"
"$H" host exec control -q -- 'sleep 30' >/dev/null 2>&1 &
running=$!
until [ "$(catalog_sql 'SELECT count(*) FROM command WHERE status = 1')" = 1 ]; do sleep 0.1; done
busy_target=$(other_engine busy)
hc catalog copy --to "$busy_target"
expect_rc 7
expect_err_has "1 command(s) of catalog"
expect_err_has "are running"
kill "$running"
wait "$running" 2>/dev/null
if is_postgres; then expect_true test ! -e "$busy_target"; else
  expect_true test "$(psql -qAt "$busy_target" -c "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")" = 0
fi

TEST "a target on a server that does not answer: exit 6, naming it"
hc catalog copy --to "postgresql://hostctl@127.0.0.1:1/none"
expect_rc 6
expect_err_has "127.0.0.1:1"

done_testing
