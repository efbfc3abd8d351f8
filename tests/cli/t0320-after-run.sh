#!/usr/bin/env bash
# One recorded operation: whether a command runs first time, from `task retry`
# or from `queue run tasks`, the same after-run step follows it (a backup's
# record, the finalize an allocate queues, a stale finalize left alone, a
# cancelled install settled). Also what a deployment is: reserve copies only
# when asked for, checked at handout, verified when fresh, cloned faithfully,
# and removed with their one real directory.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/../rig/rig.sh"
rig_skip_unless_ready
# One pinned clock for every command of this file: backups made within one
# second must still get files of their own.
export HOSTCTL_NOW=2026-11-16T00:00:00Z TZ=UTC
"$HOSTCTL_BIN" init -q >/dev/null
rig_start 1 || exit 1
rig_register --capacity 50 || exit 1
"$HOSTCTL_BIN" createservice "$EXAMPLES/static-site/service.yaml" -q >/dev/null
"$HOSTCTL_BIN" createservice "$EXAMPLES/notes-sqlite/service.yaml" -q >/dev/null
base=${RIG_BASE[1]}
q() { catalog_sql "$1"; }
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
dir_of() { "$HOSTCTL_BIN" deployment show "$1" --field directory; }

TEST "deployservice makes a reserve copy only with --reserve; site create takes no other, and prune leaves them"
hc deployservice static-site -o json
expect_rc 0
expect_json "d['reserve'] is False and d['status'] == 5"
plain=$(printf '%s' "$OUT" | json "d['name']")
hc deployservice static-site --label 'training for Bill' -o json
expect_json "d['reserve'] is False and d['label'] == 'training for Bill'"
labelled=$(printf '%s' "$OUT" | json "d['name']")
before=$(catalog_digest)
hc deployservice static-site --reserve --label x
expect_rc 2
expect_err_has "a reserve copy has no label and no client"
expect_catalog_unchanged "$before"
hc reserve status static-site -o json
expect_json "d[0]['ready'] == 0"
hc site create fresh --service static-site -o json
expect_rc 0
expect_err_has "the reserve of 'static-site' is empty"
expect_json "not d['from_reserve']"
q "UPDATE deployment SET ready_at = '2000-01-01T00:00:00Z' WHERE name IN ('$plain', '$labelled')"
hc reserve prune static-site -o json
expect_rc 0
expect_true test "$(q "SELECT count(*) FROM deployment WHERE name IN ('$plain', '$labelled') AND status = 5 AND stage = 'provision'")" = 2

TEST "a fresh site create runs verify like a reserve copy did: its packages are known"
hc deployment show "$("$HOSTCTL_BIN" site show fresh --field active_deployment)" -o json
expect_json "d['packages'] == {'static-page': '1.0'}"
hc package list -o json
expect_json "any(p['site'] == 'fresh' and p['package'] == 'static-page' for p in d)"

TEST "a retried backup marks its backup record good"
touch "$base/backups"   # a file where the backups directory goes: the backup fails
hc site backup fresh -o json
expect_rc 5
bid=$(q "SELECT max(id) FROM backup")
expect_true test "$(q "SELECT status FROM backup WHERE id = $bid")" = 9
rm -f "$base/backups"
hc task retry "$(q "SELECT max(id) FROM command WHERE action = 'backup'")"
expect_rc 0
hc backup show "$bid" -o json
expect_json "d['status'] == 5 and len(d['sha256']) == 64 and d['size'] > 0"

TEST "backups made in one second never share a file"
for i in 1 2 3; do "$HOSTCTL_BIN" site backup fresh -q >/dev/null || fail "backup $i failed"; done
expect_true test "$(q "SELECT count(*) FROM backup WHERE status = 5")" = 4
expect_true test "$(q "SELECT count(DISTINCT path) FROM backup WHERE status = 5")" = 4
for p in $(q "SELECT path FROM backup WHERE status = 5"); do expect_true test -s "$p"; done

TEST "retention never deletes a file that another record uses"
# Two records of one file, as catalogs from before ids in backup names have.
q "INSERT INTO backup(site_id, site_name, deployment_id, host_id, path, size, sha256, status, created_at)
   SELECT site_id, site_name, deployment_id, host_id, path, size, sha256, 5, created_at FROM backup WHERE id = $bid"
twin=$(q "SELECT max(id) FROM backup")
hc backup delete "$twin" --yes
expect_rc 0
expect_true test "$(q "SELECT status FROM backup WHERE id = $twin")" = 8
expect_true test -s "$(q "SELECT path FROM backup WHERE id = $bid")"
hc site restore fresh --backup "$bid" --yes
expect_rc 0

TEST "a retried allocate queues the finalize, and the site gets its permanent name"
copy=$("$HOSTCTL_BIN" deployservice static-site --reserve -q --field name)
copy_id=$(q "SELECT id FROM deployment WHERE name = '$copy'")
chmod 555 "$(dir_of "$copy")/public"   # allocate cannot write the page
hc site create blog --service static-site -o json
expect_rc 5
expect_true test "$(q "SELECT count(*) FROM command WHERE action = 'finalize' AND object_name = 'blog'")" = 0
chmod 755 "$(dir_of "$copy")/public"
hc task retry "$(q "SELECT max(id) FROM command WHERE action = 'allocate'")"
expect_rc 0
expect_true test "$(q "SELECT count(*) FROM command WHERE action = 'finalize' AND object_name = 'blog' AND status = 0")" = 1
hc queue run tasks -o json
expect_json "d[0]['ran'] == 1 and d[0]['failed'] == []"
hc site show blog --field active_deployment
expect_out "blog-d$copy_id"

TEST "a finalized deployment has one real directory: remove deletes it and its name's link"
real=$(dir_of "blog-d$copy_id")
expect_true test -d "$real"
expect_true test ! -L "$real"
expect_true test -L "$base/blog-d$copy_id"
hc site delete blog --yes
expect_rc 0
expect_true test ! -e "$real"
expect_true test ! -e "$base/blog-d$copy_id"
expect_true test ! -L "$base/blog-d$copy_id"

TEST "a queued finalize whose deployment was deleted meanwhile does nothing"
copy=$("$HOSTCTL_BIN" deployservice static-site --reserve -q --field name)
copy_id=$(q "SELECT id FROM deployment WHERE name = '$copy'")
"$HOSTCTL_BIN" site create gone --service static-site -q >/dev/null
fid=$(q "SELECT id FROM command WHERE action = 'finalize' AND object_name = 'gone'")
expect_true test -n "$fid"
"$HOSTCTL_BIN" site delete gone --yes -q >/dev/null
hc queue run tasks -o json
expect_rc 0
expect_json "d[0]['ran'] == 1 and d[0]['failed'] == []"
hc task show "$fid" -o json
expect_json "d['status'] == 8 and 'was removed' in d['error']"
expect_true test "$(q "SELECT status || ' ' || stage || ' ' || name FROM deployment WHERE id = $copy_id")" = "8 removed $copy"
expect_true test ! -e "$base/gone-d$copy_id"
expect_true test ! -L "$base/gone-d$copy_id"

TEST "a cancelled queued install does not leave its deployment PENDING"
hc deployservice static-site --reserve --async -o json
cid=$(printf '%s' "$OUT" | json "d['command_id']")
name=$(printf '%s' "$OUT" | json "d['name']")
hc task cancel "$cid"
expect_rc 0
hc deployment show "$name" -o json
expect_json "d['status'] == 9"
hc queue run tasks -o json
expect_json "d[0]['ran'] == 0"
hc reserve status static-site -o json
expect_json "'$name' in d[0]['failed'] and d[0]['building'] == 0"

TEST "site create checks the copy it takes: a broken one is marked FAILED and the next is taken"
"$HOSTCTL_BIN" reserve prune static-site -q >/dev/null
first=$("$HOSTCTL_BIN" deployservice static-site --reserve -q --field name)
second=$("$HOSTCTL_BIN" deployservice static-site --reserve -q --field name)
rm -f "$(dir_of "$first")/public/index.html"
hc site create checked --service static-site -o json
expect_rc 0
expect_err_has "ready copy '$first' failed its check at handout"
expect_json "d['from_reserve'] and d['deployment'] == '$second'"
expect_true test "$(q "SELECT status FROM deployment WHERE name = '$second'")" = 5
hc deployment show "$first" -o json
expect_json "d['status'] == 9 and d['site'] is None and d['reserve'] and not d['active']"

TEST "a broken last copy: a fresh install, saying so"
third=$("$HOSTCTL_BIN" deployservice static-site --reserve -q --field name)
rm -f "$(dir_of "$third")/public/index.html"
hc site create rescued --service static-site -o json
expect_rc 0
expect_err_has "ready copy '$third' failed its check at handout"
expect_err_has "installing a fresh copy"
expect_json "not d['from_reserve'] and d['deployment'] != '$third'"
hc site show rescued --field active_deployment
expect_rc 0
hc doctor
expect_rc 0

TEST "a clone is its source: the same data, the web server's mode bits, allocate not run again"
"$HOSTCTL_BIN" site create notes --service notes-sqlite -q >/dev/null
src=$(dir_of "$("$HOSTCTL_BIN" site show notes --field active_deployment)")
sqlite3 "$src/data/notes.db" "INSERT INTO note(body) VALUES ('written by a user')"
clone=$("$HOSTCTL_BIN" site clone notes --label v2 -q -o id)
dst=$(dir_of "$clone")
expect_true test "$(sqlite3 "$dst/data/notes.db" 'SELECT group_concat(body, "|") FROM note ORDER BY id')" = \
  "$(sqlite3 "$src/data/notes.db" 'SELECT group_concat(body, "|") FROM note ORDER BY id')"
expect_true test "$(stat -c %a "$dst")" = 755
expect_true test "$(stat -c %a "$dst/public")" = 755
expect_true test "$(q "SELECT count(*) FROM task t JOIN command c ON c.id = t.command_id WHERE c.action = 'clone' AND t.name LIKE 'allocate/%'")" = 0
"$HOSTCTL_BIN" site create page --service static-site --param 'title=Page One' -q >/dev/null
psrc=$(dir_of "$("$HOSTCTL_BIN" site show page --field active_deployment)")
pclone=$(dir_of "$("$HOSTCTL_BIN" site clone page -q -o id)")
expect_true cmp "$psrc/public/index.html" "$pclone/public/index.html"
expect_true test "$(stat -c %a "$pclone/public")" = 755

TEST "a failed command prints no id or field for a script to capture"
HOSTCTL_MIN_FREE_KB=999999999999 hc deployservice static-site -o id
expect_rc 5
expect_out_empty
HOSTCTL_MIN_FREE_KB=999999999999 hc deployservice static-site --field name
expect_rc 5
expect_out_empty
expect_err_has "task retry"

done_testing
