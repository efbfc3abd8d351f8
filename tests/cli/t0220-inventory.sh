#!/usr/bin/env bash
# Package inventory, backups (checksums, restore, verify, retention), rebuilding
# a lost catalog from the hosts' manifests, and the drift report with --repair.
# The rig has one Unix user per host; each host serves its deployments with its
# own nginx, which the router (rig1's nginx) proxies to.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/../rig/rig.sh"
RIG_PER_USER=1
rig_skip_unless_ready
"$HOSTCTL_BIN" init -q >/dev/null
rig_start 2 || exit 1
rig_nginx_start || exit 1
add_rig() {  # I: registers rig host I as a web host
  "$HOSTCTL_BIN" host add "rig$1" --address "${RIG_ADDR[$1]}" --port "${RIG_PORT[$1]}" --user "${RIG_HOST_USER[$1]}" \
    --identity "$RIG_KEY" --base-dir "${RIG_BASE[$1]}" -q >/dev/null && rig_make_web "$1"
}
rig_web_start 1 && rig_web_start 2 || exit 1
add_rig 1 || exit 1
setup_catalog() {
  rig_make_router
  "$HOSTCTL_BIN" createservice "$EXAMPLES/static-site/service.yaml" -q >/dev/null
  "$HOSTCTL_BIN" createservice "$EXAMPLES/notes-sqlite/service.yaml" -q >/dev/null
}
setup_catalog
curl_page() { curl -s -H "Host: $1" "http://127.0.0.1:$RIG_NGINX_PORT/"; }

TEST "sites of both example services run; verify reports packages"
hc site create web --service static-site -q
expect_rc 0
hc site create notes --service notes-sqlite --param admin_token=s3cret-token-1 -q
expect_rc 0
"$HOSTCTL_BIN" route add notes.test --site notes --primary --active-on-launch -q >/dev/null
hc site launch notes -q
expect_rc 0
curl_page notes.test | grep -q "Welcome to notes" || fail "the notes page does not show its first note"
for d in $("$HOSTCTL_BIN" deployment list --field name); do "$HOSTCTL_BIN" deployment verify "$d" -q >/dev/null; done
hc package list -o json
expect_json "sorted(p['package'] for p in d) == ['sqlite3', 'static-page']"
hc site show notes -o json
expect_json "d['deployments'][0]['params']['admin_token'] == '********'"
printf '%s' "$OUT" | grep -q "s3cret-token-1" && fail "a secret parameter reached the output"
hc deployment list -o json
printf '%s' "$OUT" | grep -q "s3cret-token-1" && fail "a secret parameter reached the output"
hc task log 2
printf '%s' "$OUT" | grep -q "s3cret-token-1" && fail "a secret parameter reached a log"
hc package list --name sqlite3 --below 99.0 --field site
expect_out notes
hc package list --name sqlite3 --below 1.0 -o json
expect_json "d == []"
# dpkg's order: an epoch outranks any upstream version (sqlite3 reports 3.x).
hc package list --name sqlite3 --below 1:0.1 --field site
expect_out notes
hc package list --name sqlite3 --below 0:3.0 -o json
expect_json "d == []"

TEST "backup records sha256 and size; restore checks them and brings data back"
notes_dir=$("$HOSTCTL_BIN" deployment show "$("$HOSTCTL_BIN" site show notes --field active_deployment)" --field directory)
hc site backup notes -o json
expect_rc 0
expect_json "d['status'] == 5 and len(d['sha256']) == 64 and d['size'] > 0"
backup=$(printf '%s' "$OUT" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
path=$("$HOSTCTL_BIN" backup show "$backup" --field path)
expect_true test "$(sha256sum "$path" | cut -d' ' -f1)" = "$("$HOSTCTL_BIN" backup show "$backup" --field sha256)"
sqlite3 "$notes_dir/data/notes.db" "INSERT INTO note(body) VALUES ('written after the backup')"
hc site restore notes --backup "$backup"
expect_rc 2
hc site restore notes --backup "$backup" --yes
expect_rc 0
expect_true test "$(sqlite3 "$notes_dir/data/notes.db" "SELECT count(*) FROM note WHERE body = 'written after the backup'")" = 0

TEST "a backup whose file changed is refused before restoring"
cp "$path" "$WORK/saved.tar.gz"
echo tampered >> "$path"
hc site restore notes --backup "$backup" --yes
expect_rc 5
expect_err_has "does not match its record"
cp "$WORK/saved.tar.gz" "$path"

TEST "backup verify restores into a scratch deployment and removes it"
before=$("$HOSTCTL_BIN" deployment list --all -o json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
hc backup verify "$backup" -o json
expect_rc 0
expect_json "d['verified'] and d['scratch_deployment']"
scratch=$(printf '%s' "$OUT" | python3 -c 'import json,sys; print(json.load(sys.stdin)["scratch_deployment"])')
hc deployment show "$scratch" -o json
expect_json "d['stage'] == 'removed'"
expect_true test ! -e "$("$HOSTCTL_BIN" deployment show "$scratch" --field directory)"

TEST "retention keeps the newest N and never the last good backup: the last one whose test restore passed"
hc backup show "$backup" -o json
expect_json "d['verify_status'] == 5"
for i in 1 2 3 4 5 6; do "$HOSTCTL_BIN" site backup notes -q >/dev/null || fail "backup $i failed"; done
hc backup list --site notes -o json
# 7 good backups, keep 5: the 2 oldest go, except the verified one ($backup).
expect_json "sum(1 for b in d if b['status'] == 5) == 6 and sum(1 for b in d if b['status'] == 8) == 1"
expect_json "[b['status'] for b in d if b['id'] == $backup] == [5]"
expect_json "len(set(b['path'] for b in d)) == len(d)"
for p in $("$HOSTCTL_BIN" backup list --site notes -o json | python3 -c 'import json,sys; [print(b["path"]) for b in json.load(sys.stdin) if b["status"] == 8]'); do
  expect_true test ! -e "$p"
done
hc backup delete 999 --yes
expect_rc 3

TEST "a lost catalog is rebuilt from the hosts' manifests, reserve copies still reserve copies"
"$HOSTCTL_BIN" deployservice static-site --reserve -q >/dev/null
"$HOSTCTL_BIN" deployservice static-site --label kept -q >/dev/null
"$HOSTCTL_BIN" client add acme --email ops@acme.test --max-sites 3 -q >/dev/null
"$HOSTCTL_BIN" site create shop --service static-site --client acme --param title=Shop -q >/dev/null
"$HOSTCTL_BIN" route add shop.test --site shop --primary --active-on-launch -q >/dev/null
"$HOSTCTL_BIN" route add later.test --site shop -q >/dev/null
"$HOSTCTL_BIN" site launch shop -q >/dev/null || fail "shop did not launch"
"$HOSTCTL_BIN" route add old-shop.test --site shop --redirect -q >/dev/null
"$HOSTCTL_BIN" route activate old-shop.test -q >/dev/null || fail "the redirect did not activate"
routes_want=$("$HOSTCTL_BIN" route list -o json | python3 -c 'import json,sys; print(sorted((r["source"], r["site"], r["active"], r["primary"], r["active_on_launch"], r["redirect"]) for r in json.load(sys.stdin)))')
# The routes and the launch reach the manifest with the next queue run, as from cron.
hc queue run tasks -q
expect_rc 0
expect_true test "$(catalog_sql "SELECT count(*) FROM site_record_due")" = 0
want=$("$HOSTCTL_BIN" deployment list -o json | python3 -c 'import json,sys; print(sorted((d["name"], d["stage"], d["site"] or "", d["reserve"]) for d in json.load(sys.stdin)))')
if is_postgres; then export HOSTCTL_CATALOG=$(other_catalog rebuilt); else rm -f "$HOSTCTL_CATALOG"*; fi
"$HOSTCTL_BIN" init -q >/dev/null
add_rig 1
setup_catalog
hc host import rig1 -o json
expect_rc 0
expect_json "sorted(d['sites']) == ['notes', 'shop', 'web'] and d['clients'] == ['acme']"
expect_json "sorted(d['routes']) == ['later.test', 'notes.test', 'old-shop.test', 'shop.test']"
got=$("$HOSTCTL_BIN" deployment list -o json | python3 -c 'import json,sys; print(sorted((d["name"], d["stage"], d["site"] or "", d["reserve"]) for d in json.load(sys.stdin)))')
expect_true test "$got" = "$want"
hc site show notes -o json
expect_json "d['active_deployment'] is not None and d['launched']"
hc site show shop -o json
expect_json "d['client'] == 'acme' and d['launched'] and d['primary_route'] == 'shop.test'"
hc client show acme -o json
expect_json "d['email'] == 'ops@acme.test' and d['max_sites'] == 3"
routes_got=$("$HOSTCTL_BIN" route list -o json | python3 -c 'import json,sys; print(sorted((r["source"], r["site"], r["active"], r["primary"], r["active_on_launch"], r["redirect"]) for r in json.load(sys.stdin)))')
expect_true test "$routes_got" = "$routes_want"
# The active routes were activated again: their router synced from the new catalog, and checked.
expect_true test "$(catalog_sql "SELECT count(*) FROM command WHERE action = 'route sync' AND status = 5")" -ge 1
curl_page shop.test | grep -q "Shop" || fail "shop.test is not served after the import"
hc host verify rig1 -o json
printf '%s' "$OUT" | grep -q "manifest-stale" && fail "a manifest disagrees with the imported catalog"
hc host import rig1 -o json
expect_json "d['registered'] == [] and len(d['skipped']) == 4"

TEST "host verify reports drift and --repair puts the router back"
"$HOSTCTL_BIN" route activate notes.test -q >/dev/null  # brought back active by the import
echo "# edited by hand" >> "$RIG_NGINX_DIR/sites/hostctl-notes.test.conf"
echo "server { listen 127.0.0.1:1; }" > "$RIG_NGINX_DIR/sites/hostctl-stale.test.conf"
mkdir -p "${RIG_BASE[1]}/stray" && chown "${RIG_HOST_USER[1]}" "${RIG_BASE[1]}/stray"
echo '{"hostctl_manifest":1,"deployment":"stray-copy","service":"static-site","stage":"provision"}' > "${RIG_BASE[1]}/stray/.hostctl-manifest.json"
hc host verify rig1 -o json
expect_rc 8
expect_err_has "3 difference(s) between the catalog and the hosts"
expect_json "sorted((x['kind'], x['object']) for x in d[0]['drift']) == [('router-file-differs', 'hostctl-notes.test.conf'), ('router-file-extra', 'hostctl-stale.test.conf'), ('unknown-on-host', 'stray-copy')]"
expect_err_has "drift on 'rig1'"
hc host verify rig1 --repair -o json
expect_json "[(x['kind'], x['object']) for x in d[0]['drift']] == [('unknown-on-host', 'stray-copy')]"
expect_true test ! -e "$RIG_NGINX_DIR/sites/hostctl-stale.test.conf"
grep -q "edited by hand" "$RIG_NGINX_DIR/sites/hostctl-notes.test.conf" && fail "the hand edit is still there"
hc host verify rig1 -o json
expect_json "len(d[0]['drift']) == 1"

TEST "a repaired router serves the catalog's answer as soon as --repair returns"
conf="$RIG_NGINX_DIR/sites/hostctl-notes.test.conf"
printf 'server {\n    listen 127.0.0.1:%s;\n    server_name notes.test;\n    return 418;\n}\n' "$RIG_NGINX_PORT" > "$conf"
kill -HUP "$RIG_NGINX_PID"
expect_http 418 notes.test
hc host verify rig1 --repair -o json
expect_rc 8  # the stray copy on the host is left: not the catalog's
expect_json "[(x['kind'], x['object']) for x in d[0]['drift']] == [('unknown-on-host', 'stray-copy')]"
codes=$(for i in 1 2 3 4 5 6; do
  curl -s -o /dev/null -w '%{http_code} ' -H "Host: notes.test" "http://127.0.0.1:$RIG_NGINX_PORT/"; done)
expect_true test "$codes" = "200 200 200 200 200 200 "

TEST "a manifest whose record of its site is out of date is drift, and --repair rewrites it"
catalog_sql "UPDATE route SET active_on_launch = 1 WHERE source = 'later.test'"  # behind hostctl's back
hc host verify rig1 -o json
expect_json "[(x['kind'], x['object']) for x in d[0]['drift'] if x['kind'] == 'manifest-stale'] == [('manifest-stale', '$("$HOSTCTL_BIN" site show shop --field active_deployment)')]"
hc host verify rig1 --repair -o json
expect_json "not [x for x in d[0]['drift'] if x['kind'] == 'manifest-stale']"
dir=$("$HOSTCTL_BIN" deployment show "$("$HOSTCTL_BIN" site show shop --field active_deployment)" --field directory)
python3 -c 'import json,sys; m=json.load(open(sys.argv[1])); assert [r["active_on_launch"] for r in m["site_record"]["routes"] if r["source"] == "later.test"] == [True]' \
  "$dir/.hostctl-manifest.json" || fail "the manifest was not rewritten"

TEST "task retry of a failed migrate copy really copies, host to host over SFTP"
add_rig 2
touch "${RIG_BASE[2]}/backups"   # a file where the backups directory goes: the copy fails
hc site migrate notes --to-host rig2
expect_rc 5
expect_err_has "(migrate copy notes) failed"
cid=$(catalog_sql "SELECT max(id) FROM command WHERE action = 'migrate copy'")
rm -f "${RIG_BASE[2]}/backups"
hc task retry "$cid"
expect_rc 0
src=$(catalog_sql "SELECT path FROM backup WHERE host_id = (SELECT id FROM host WHERE name = 'rig1') ORDER BY id DESC LIMIT 1")
expect_true cmp "$src" "${RIG_BASE[2]}/backups/$(basename "$src")"
hc task log "$cid"
expect_out_has "hostctl: copied $(stat -c %s "$src") bytes from rig1:$src to rig2:"
hc backup list --site notes -o json
expect_json "[b['status'] for b in d if b['host'] == 'rig2' and b['path'].endswith('$(basename "$src")')] == [5]"

TEST "site migrate moves a site to another host with its data, still served"
old=$("$HOSTCTL_BIN" site show notes --field active_deployment)
old_dir=$("$HOSTCTL_BIN" deployment show "$old" --field directory)
sqlite3 "$old_dir/data/notes.db" "INSERT INTO note(body) VALUES ('moves with the site')"
"$HOSTCTL_BIN" deployment verify "$old" -q >/dev/null
hc site migrate notes --to-host rig2 -o json
expect_rc 0
expect_json "d['migrated_from'] == 'rig1' and d['migrated_to'] == 'rig2'"
new=$("$HOSTCTL_BIN" site show notes --field active_deployment)
hc deployment show "$new" -o json
expect_json "d['host'] == 'rig2' and d['active'] and d['stage'] == 'allocate'"
hc deployment show "$old" -o json
expect_json "d['host'] == 'rig1' and d['stage'] == 'lock' and not d['active']"
new_dir=$("$HOSTCTL_BIN" deployment show "$new" --field directory)
expect_true test "$(sqlite3 "$new_dir/data/notes.db" "SELECT count(*) FROM note WHERE body = 'moves with the site'")" = 1
curl_page notes.test | grep -q "moves with the site" || fail "the migrated page does not show the moved note"
n=$(catalog_sql "SELECT max(length(script)) FROM task t JOIN command c ON c.id = t.command_id WHERE c.action = 'migrate copy'")
expect_true test "$n" -lt 200
hc site migrate notes --to-host rig2
expect_rc 4

done_testing
