#!/usr/bin/env bash
# Database servers and secrets: a plan with `database: {engine: mariadb}` gets
# its own database and user on a db host running a real MariaDB (its own
# Unix user, its own data directory), made before install, copied on clone,
# dumped into the backup and loaded on restore, and dropped with the copy.
# The passwords are sealed in the catalog and never reach a log.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/../rig/rig.sh"
rig_skip_unless_ready
H=$HOSTCTL_BIN
rig_data_plane 3 || exit 1
rig_php_start 1 || exit 1
rig_php_start 2 || exit 1
$H createservice "$EXAMPLES/guestbook/service.yaml" -q >/dev/null || exit 1
get() {  # DOMAIN PATH: status through the router, body in $WORK/page
  curl -s -o "$WORK/page" -w '%{http_code}' -H "Host: $1" "http://127.0.0.1:$RIG_NGINX_PORT$2"
}
post() {  # DOMAIN TEXT: adds a guestbook entry through the router
  curl -s -o /dev/null -w '%{http_code}' -H "Host: $1" --data-urlencode "body=$2" "http://127.0.0.1:$RIG_NGINX_PORT/"
}
databases() { rig_sql 3 -e "SHOW DATABASES LIKE 'hc\\_%'" | sort | tr '\n' ' '; }
db_of() { catalog_sql "SELECT d.db_name FROM deployment d JOIN site s ON s.id = d.site_id WHERE s.name = '$1' AND d.active = 1"; }

TEST "a plan with a database is refused while no database server runs its engine, changing nothing"
digest=$(catalog_digest)
hc site create early --service guestbook
expect_rc 4
expect_err_has "no database server runs mariadb with room for service 'guestbook'"
expect_err_has "--db-engine mariadb"
expect_catalog_unchanged "$digest"

TEST "host edit refuses a database server it could not use, naming what is wrong, changing nothing"
digest=$(catalog_digest)
hc host edit rig3 --db-engine mariadb
expect_rc 2
expect_err_has "not the db role"
hc host edit rig3 --role db --db-engine postgres
expect_rc 2
expect_err_has "invalid database engine 'postgres'"
hc host edit rig3 --role db --db-engine mariadb --db-admin-user root
expect_rc 2
expect_err_has "needs its admin password"
: > "$WORK/empty.pw"
hc host edit rig3 --role db --db-engine mariadb --db-admin-user root --db-admin-password-file "$WORK/empty.pw"
expect_rc 2
expect_err_has "the database admin password is empty"
expect_catalog_unchanged "$digest"

TEST "a database server's admin password is given once, from a file or stdin, and kept sealed"
rig_mariadb_start 3 || exit 1
hc host show rig3 -o json
expect_json "d['db_engine'] == 'mariadb' and d['db_admin_user'] == 'hcadmin' and d['roles'] == ['db']"
admin_pw=$(cat "$RIG_DIR/db3-admin.pw")
expect_true test -n "$admin_pw"
catalog_files_hold "$admin_pw" && fail "the admin password is in the catalog in clear"
expect_true test "$(stat -c %a "$(catalog_key_file)")" = 600
hc host show rig3
printf '%s' "$OUT" | grep -q "$admin_pw" && fail "host show printed the admin password"

TEST "site create makes the site's database and user on the db host before install; the app uses it"
hc site create shop --service guestbook --host rig2 --param title=Shop -q
expect_rc 0
db=$(db_of shop)
expect_true test -n "$db"
expect_true test "$(databases)" = "$db "
# The user has rights on its own database alone.
expect_true test "$(rig_sql 3 -e "SHOW GRANTS FOR '$db'@'%'" | grep -c 'ON \*\.\*.*PRIVILEGES\|ALL PRIVILEGES ON `')" = 1
hc route add shop.test --site shop --primary -q
hc route activate shop.test -q
expect_rc 0
expect_true test "$(post shop.test 'first entry')" = 201
expect_true test "$(get shop.test /)" = 200
expect_true grep -q "<li>first entry</li>" "$WORK/page"
expect_true grep -q "database: $db" "$WORK/page"
expect_true test "$(rig_sql 3 -e "SELECT body FROM $db.entries")" = "first entry"

TEST "the plan's routes action runs on the active deployment when the site's routes change"
expect_true grep -q "home: http://shop.test:$RIG_NGINX_PORT" "$WORK/page"
# (mariadb --batch writes a newline inside a value as \n)
routes() { rig_sql 3 -e "SELECT value FROM $db.options WHERE name = 'routes'" | tr '\n' ' '; }
hc route add www.shop.test --site shop -q
expect_rc 0
expect_true test "$(routes)" = "http://shop.test:$RIG_NGINX_PORT\\nhttp://www.shop.test:$RIG_NGINX_PORT\\n "
hc route delete www.shop.test --yes -q
expect_rc 0
expect_true test "$(routes)" = "http://shop.test:$RIG_NGINX_PORT\\n "
# A route deactivated and activated again leaves the addresses as they were: the action does not run.
ran() { catalog_sql "SELECT count(*) FROM command WHERE action = 'routes'"; }
before=$(ran)
hc route deactivate shop.test --yes -q
expect_rc 0
hc route activate shop.test -q
expect_rc 0
expect_true test "$(ran)" = "$before"

TEST "a routes action that failed is retried by task retry, and forgotten until it succeeds"
rig_sql 3 -e "RENAME TABLE $db.options TO $db.options_off"
hc route add api.shop.test --site shop
expect_rc 5
expect_err_has "task retry"
failed=$(catalog_sql "SELECT max(id) FROM command WHERE action = 'routes' AND status = 9")
expect_true test -n "$failed"
# Nothing records the addresses the copy never took: the next change runs the action again.
expect_true test "$(catalog_sql "SELECT count(*) FROM deployment WHERE db_name = '$db' AND routes_seen IS NOT NULL")" = 0
rig_sql 3 -e "RENAME TABLE $db.options_off TO $db.options"
hc task retry "$failed"
expect_rc 0
expect_true test "$(routes)" = "http://api.shop.test:$RIG_NGINX_PORT\\nhttp://shop.test:$RIG_NGINX_PORT\\n "
before=$(ran)
hc route delete api.shop.test --yes -q
expect_rc 0
expect_true test "$(ran)" = "$((before + 1))"
expect_true test "$(routes)" = "http://shop.test:$RIG_NGINX_PORT\\n "


TEST "the deployment's password is sealed, shown only on request (a TTY or --yes), and in no log"
d=$(catalog_sql "SELECT name FROM deployment WHERE db_name = '$db'")
hc deployment secret "$d" db_password
expect_rc 4
expect_err_has "--yes"
hc deployment secret "$d" db_password --yes
expect_rc 0
pw=$OUT
expect_true test ${#pw} = 24
# The password works: it is the one MariaDB has.
expect_true mariadb --no-defaults -h "${RIG_ADDR[3]}" -P "${RIG_DB_PORT[3]}" -u "$db" --password="$pw" -e 'SELECT 1' "$db" >/dev/null
catalog_files_hold "$pw" && fail "the database password is in the catalog in clear"
for c in $(catalog_sql "SELECT id FROM command"); do
  "$H" task log "$c" 2>&1 | grep -q -e "$pw" -e "$admin_pw" && fail "command $c's log holds a password"
done
expect_true test "$(catalog_sql "SELECT count(*) FROM audit WHERE action LIKE 'deployment secret%'")" = 1
hc deployment secret "$d" nope --yes
expect_rc 3
expect_err_has "db_password"
HOSTCTL_SECRET_KEY=$(head -c 32 /dev/urandom | base64) hc deployment secret "$d" db_password --yes
expect_rc 4
expect_err_has "not the key it was sealed with"

TEST "a clone gets its own database, a copy of the source's"
hc site clone shop --label v2 -o json
expect_rc 0
c=$(catalog_sql "SELECT db_name FROM deployment WHERE label = 'v2'")
expect_true test -n "$c" -a "$c" != "$db"
expect_true test "$(rig_sql 3 -e "SELECT body FROM $c.entries")" = "first entry"
rig_sql 3 -e "INSERT INTO $c.entries(body) VALUES ('only in the clone')"
expect_true test "$(rig_sql 3 -e "SELECT count(*) FROM $db.entries")" = 1

TEST "a locked deployment's database refuses its writes and still answers reads; unlock makes it writable"
as_app() { MYSQL_PWD=$pw mariadb --no-defaults -h "${RIG_ADDR[3]}" -P "${RIG_DB_PORT[3]}" -u "$db" --batch --skip-column-names "$db" "$@"; }
hc deployment lock "$d" -q
expect_rc 0
as_app -e "INSERT INTO entries(body) VALUES ('while locked')" 2>/dev/null && fail "a locked deployment's database took a write"
expect_true test "$(as_app -e "SELECT count(*) FROM entries")" = 1
hc deployment unlock "$d" -q
expect_rc 0
expect_true as_app -e "INSERT INTO entries(body) VALUES ('after unlock')"
as_app -e "DELETE FROM entries WHERE body = 'after unlock'"

TEST "a test copy beside production: clone --preview serves it at its own route; refresh-test copies production again"
hc site clone shop --label test --preview test.shop.test -o json
expect_rc 0
t1=$(catalog_sql "SELECT name FROM deployment WHERE label = 'test' AND stage != 'removed'")
tdb=$(catalog_sql "SELECT db_name FROM deployment WHERE name = '$t1'")
expect_true test "$(get test.shop.test /)" = 200
expect_true grep -q "database: $tdb" "$WORK/page"
expect_true grep -q "home: http://test.shop.test:$RIG_NGINX_PORT" "$WORK/page"  # its routes action: its own home
expect_true test "$(get shop.test /)" = 200
expect_true grep -q "database: $db" "$WORK/page"
expect_true grep -q "home: http://shop.test:$RIG_NGINX_PORT" "$WORK/page"
rig_sql 3 -e "INSERT INTO $db.entries(body) VALUES ('second entry')"
get test.shop.test / >/dev/null
grep -q "second entry" "$WORK/page" && fail "the test copy saw production's new entry before a refresh"
hc deployment delete "$t1" --yes
expect_rc 4
expect_err_has "route 'test.shop.test' previews deployment '$t1'"
hc site refresh-test shop
expect_rc 0
t2=$(catalog_sql "SELECT name FROM deployment WHERE label = 'test' AND stage != 'removed'")
expect_true test -n "$t2" -a "$t2" != "$t1"
expect_true test "$(get test.shop.test /)" = 200
expect_true grep -q "<li>second entry</li>" "$WORK/page"
expect_true test -z "$(rig_sql 3 -e "SHOW DATABASES LIKE '$tdb'")"
rig_sql 3 -e "DELETE FROM $db.entries WHERE body = 'second entry'"
hc route delete test.shop.test --yes -q
expect_rc 0
hc deployment delete "$t2" --yes -q
expect_rc 0

TEST "bad input for databases, previews and moves: a clear message, its exit code, nothing changed"
digest=$(catalog_digest)
hc route add own.shop.test --site shop --preview "$d"
expect_rc 4
expect_err_has "is the active one of site 'shop'"
hc route add p.shop.test --site shop --preview "$d" --primary
expect_rc 2
expect_err_has "a preview route is neither --primary nor --redirect"
hc site refresh-test shop
expect_rc 4
expect_err_has "site 'shop' has no test copy (no preview route)"
hc site migrate shop
expect_rc 2
expect_err_has "site migrate needs --to-host, --to-db-host or both"
printf 'name: bad-db\nversion: 1\ndatabase: {engine: postgres}\nparams:\n  pw: {generate: true}\nactions:\n  install:\n    - {name: a, run: "true"}\n' > "$WORK/bad-db.yaml"
hc createservice "$WORK/bad-db.yaml"
expect_rc 2
expect_err_has "bad-db.yaml:3:"
expect_err_has "database.engine must be mariadb"
expect_err_has "params.pw.generate needs secret: true"
expect_catalog_unchanged "$digest"

TEST "host verify on the db host reports databases without a deployment and deployments without a database"
rig_sql 3 -e "CREATE DATABASE hc_stray"
rig_sql 3 -e "DROP DATABASE $c"
hc host verify rig3 -o json
expect_rc 8
expect_json "sorted((x['kind'], x['object']) for x in d[0]['drift']) == [('database-extra', 'hc_stray'), ('database-missing', '$(catalog_sql "SELECT name FROM deployment WHERE db_name = '$c'")')]"
expect_json "len(d) == 1 and d[0]['host'] == 'rig3'"
hc host verify rig3 --repair -o json
expect_rc 8  # the stray database is left: not the catalog's to drop
# The catalog's side is repaired (the clone's database made again, empty); the stray one is not the catalog's.
expect_json "[(x['kind'], x['object']) for x in d[0]['drift']] == [('database-extra', 'hc_stray')]"
expect_true test "$(rig_sql 3 -e "SHOW DATABASES LIKE '$c'")" = "$c"
rig_sql 3 -e "DROP DATABASE hc_stray"

TEST "export masks secrets unless --with-secrets; import seals them again with its own key"
hc export
expect_rc 0
printf '%s' "$OUT" | grep -q -e "$pw" -e "$admin_pw" && fail "export printed a secret"
expect_out_has '"********"'
hc export --with-secrets
expect_rc 0
expect_out_has "hostctl-secret:$pw"
printf '%s' "$OUT" > "$WORK/open.yaml"
hc export
printf '%s' "$OUT" > "$WORK/masked.yaml"
new=$(other_catalog new)
HOSTCTL_CATALOG=$new "$H" init -q >/dev/null
HOSTCTL_CATALOG=$new hc import "$WORK/masked.yaml"
expect_rc 4
expect_err_has "holds a masked secret"
HOSTCTL_CATALOG=$new hc import "$WORK/open.yaml"
expect_rc 0
grep -c "$pw" "$WORK/new.db" >/dev/null && fail "import stored a secret in clear"
HOSTCTL_CATALOG=$new hc deployment secret "$d" db_password --yes
expect_rc 0
expect_out "$pw"

TEST "a backup holds the database; a restore brings it back after damage"
hc site backup shop -o json
expect_rc 0
rig_sql 3 -e "DELETE FROM $db.entries"
expect_true test "$(rig_sql 3 -e "SELECT count(*) FROM $db.entries")" = 0
# A route added since the backup: the restored data is told today's addresses.
hc route add www.shop.test --site shop -q
expect_rc 0
hc site restore shop --backup "$(catalog_sql "SELECT id FROM backup ORDER BY id DESC LIMIT 1")" --yes
expect_rc 0
expect_true test "$(routes)" = "http://shop.test:$RIG_NGINX_PORT\\nhttp://www.shop.test:$RIG_NGINX_PORT\\n "
hc route delete www.shop.test --yes -q
expect_rc 0
expect_true test "$(rig_sql 3 -e "SELECT body FROM $db.entries")" = "first entry"
expect_true test "$(get shop.test /)" = 200
expect_true grep -q "<li>first entry</li>" "$WORK/page"
expect_true test ! -e "$(catalog_sql "SELECT directory FROM deployment WHERE db_name = '$db'")/.hostctl-database.sql"

TEST "migrate to another web host: the new copy has its own database with the data"
hc site migrate shop --to-host rig1
expect_rc 0
expect_err_has "site 'shop' is read-only until its new copy serves"
m=$(db_of shop)
# The old copy stays locked: its database refuses writes (not lost to the move).
MYSQL_PWD=$pw mariadb --no-defaults -h "${RIG_ADDR[3]}" -P "${RIG_DB_PORT[3]}" -u "$db" "$db" \
  -e "INSERT INTO entries(body) VALUES ('late')" 2>/dev/null && fail "the old copy's database took a write after the move"
expect_true test -n "$m" -a "$m" != "$db"
expect_true test "$(get shop.test /)" = 200
expect_true grep -q "<li>first entry</li>" "$WORK/page"
expect_true grep -q "database: $m" "$WORK/page"

TEST "a new plan version leaves running deployments on theirs; a version in use is never changed in place"
mkdir -p "$WORK/gb2"
cp "$EXAMPLES/guestbook/app.sh" "$WORK/gb2/"
sed 's/^version: 1/version: 2/' "$EXAMPLES/guestbook/service.yaml" > "$WORK/gb2/service.yaml"
printf '  upgrade:\n    - name: schema\n      script: app.sh\n' >> "$WORK/gb2/service.yaml"
hc createservice "$WORK/gb2/service.yaml" --replace -o json
expect_rc 0
expect_json "d['version'] == 2 and [v['version'] for v in d['versions']] == [1, 2] and d['versions'][1]['deployments'] == 0"
hc deployment show "$(catalog_sql "SELECT name FROM deployment WHERE db_name = '$m'")" -o json
expect_json "d['service_version'] == 1"
mkdir -p "$WORK/gb1"
cp "$EXAMPLES/guestbook/app.sh" "$WORK/gb1/"
sed 's/^description: .*/description: changed in place/' "$EXAMPLES/guestbook/service.yaml" > "$WORK/gb1/service.yaml"
digest=$(catalog_digest)
hc createservice "$WORK/gb1/service.yaml" --replace
expect_rc 4
expect_err_has "version 1 of this service runs"
expect_err_has "version 2"
expect_catalog_unchanged "$digest"

TEST "site upgrade: a copy in the new version, its upgrade action, a health-checked switch; switch back is the rollback"
old=$(catalog_sql "SELECT name FROM deployment WHERE db_name = '$m'")
hc site upgrade shop
expect_rc 0
expect_err_has "now runs version 2"
u=$(db_of shop)
expect_true test -n "$u" -a "$u" != "$m"
expect_true test "$(rig_sql 3 -e "SELECT value FROM $u.options WHERE name = 'schema'")" = 2
expect_true test "$(get shop.test /)" = 200
expect_true grep -q "<li>first entry</li>" "$WORK/page"
hc deployment show "$old" -o json
expect_json "d['stage'] == 'lock' and d['service_version'] == 1"
hc site upgrade shop
expect_rc 4
expect_err_has "already runs version 2"
hc site switch shop --to "$old" -q
expect_rc 0
expect_true test "$(get shop.test /)" = 200
expect_true grep -q "database: $m" "$WORK/page"

TEST "reserve from_site: the reserve is filled with clones of a template site, database included"
mkdir -p "$WORK/gbt"
cp "$EXAMPLES/guestbook/app.sh" "$WORK/gbt/"
sed -e 's/^name: guestbook/name: gbt/' -e 's/^reserve: .*/reserve: {size: 2, minimum: 1, from_site: tpl}/' \
  "$EXAMPLES/guestbook/service.yaml" > "$WORK/gbt/service.yaml"
$H createservice "$WORK/gbt/service.yaml" -q >/dev/null
hc reserve refill gbt
expect_rc 3
expect_err_has "site 'tpl' not found"
hc site create tpl --service gbt --host rig2 -q
expect_rc 0
t=$(db_of tpl)
for i in 1 2 3; do rig_sql 3 -e "INSERT INTO $t.entries(body) VALUES ('template post $i')"; done
hc reserve refill gbt -o json
expect_rc 0
hc reserve status gbt -o json
expect_json "d[0]['ready'] == 2 and d[0]['expired'] == []"
for r in $(catalog_sql "SELECT db_name FROM deployment WHERE reserve = 1 AND stage = 'provision'"); do
  expect_true test "$(rig_sql 3 -e "SELECT count(*) FROM $r.entries")" = 3
done
hc site create fromtpl --service gbt -o json
expect_rc 0
f=$(db_of fromtpl)
expect_true test "$(rig_sql 3 -e "SELECT count(*) FROM $f.entries")" = 3
expect_true test "$(catalog_sql "SELECT count(*) FROM deployment WHERE reserve = 1 AND stage = 'provision'")" = 1
# The template changes (a new copy switched in): the copy made before it expires.
sleep 1
hc site clone tpl --label next -q
expect_rc 0
hc site switch tpl --to "$(catalog_sql "SELECT name FROM deployment WHERE label = 'next'")" -q
expect_rc 0
hc reserve status gbt -o json
expect_json "d[0]['ready'] == 0 and len(d[0]['expired']) == 1"
hc reserve prune gbt
expect_rc 0
expect_true test "$(catalog_sql "SELECT count(*) FROM deployment WHERE reserve = 1 AND stage = 'provision'")" = 0
for s in tpl fromtpl; do $H site delete "$s" --yes -q >/dev/null; done

TEST "migrate --to-db-host moves the database alone, to another server; a server of another engine is refused"
hc site migrate shop --to-db-host rig2
expect_rc 4
expect_err_has "host 'rig2' is not a mariadb database server"
rig_mariadb_start 1 router web db || exit 1
hc site migrate shop --to-db-host rig1
expect_rc 0
expect_err_has "its database from 'rig3' to 'rig1'"
m1=$(db_of shop)
expect_true test "$(catalog_sql "SELECT h.name || ' ' || w.name FROM deployment d JOIN host h ON h.id = d.db_host_id JOIN host w ON w.id = d.host_id WHERE d.db_name = '$m1'")" = "rig1 rig1"
expect_true test "$(rig_sql 1 -e "SELECT body FROM $m1.entries")" = "first entry"
expect_true test "$(get shop.test /)" = 200
expect_true grep -q "<li>first entry</li>" "$WORK/page"
hc site migrate shop --to-db-host rig3 -q
expect_rc 0
m=$(db_of shop)
# A clone placed on the less loaded server: its database is copied between servers.
hc site clone shop --label cross -q
expect_rc 0
x=$(catalog_sql "SELECT d.db_name || ' ' || h.name FROM deployment d JOIN host h ON h.id = d.db_host_id WHERE d.label = 'cross'")
expect_true test "${x#* }" = rig1
expect_true test "$(rig_sql 1 -e "SELECT body FROM ${x% *}.entries")" = "first entry"

TEST "deleting the site drops every database and user it had"
hc site delete shop --yes -q
expect_rc 0
expect_true test -z "$(databases)"
expect_true test "$(rig_sql 3 -e "SELECT count(*) FROM mysql.user WHERE user LIKE 'hc\\_%'")" = 0
expect_true test -z "$(rig_sql 1 -e "SHOW DATABASES LIKE 'hc\\_%'")"

done_testing
