#!/usr/bin/env bash
# hostctl export / import: the inventory round-trips through one YAML file.
. "$(dirname "$0")/lib.sh"
H=$HOSTCTL_BIN
$H init -q >/dev/null
mkdir -p "$WORK/srv"
$H host add control --transport local --base-dir "$WORK/srv" --role web --role router -q >/dev/null
$H host add web9 --address 127.0.0.9 --port 2222 --user deploy --capacity 7 -q >/dev/null
$H client add acme --email ops@acme.test --max-sites 3 -q >/dev/null
$H createservice "$EXAMPLES/static-site/service.yaml" -q >/dev/null
$H createservice "$EXAMPLES/notes-sqlite/service.yaml" -q >/dev/null
$H site create shop --service static-site --client acme --host control --param 'title=Quote "this" 0123' -q >/dev/null
$H route add shop.test --site shop --primary -q >/dev/null
$H route add shop.test/blog --site shop -q >/dev/null
$H site backup shop -q >/dev/null

TEST "export writes the whole inventory as YAML"
hc export
expect_rc 0
expect_out_has "hostctl_export: 1"
expect_out_has "name: \"shop\""
hc export --file "$WORK/inventory.yaml"
expect_rc 0
expect_true test "$(stat -c %a "$WORK/inventory.yaml")" = 600

TEST "import into an empty catalog round-trips exactly"
second=$(other_catalog second)
HOSTCTL_CATALOG="$second" "$HOSTCTL_BIN" init -q >/dev/null
HOSTCTL_CATALOG="$second" hc import "$WORK/inventory.yaml" -o json
expect_rc 0
expect_json "'site=1' in d['imported'] and 'deployment=1' in d['imported'] and 'route=2' in d['imported']"
HOSTCTL_CATALOG="$second" "$HOSTCTL_BIN" export > "$WORK/again.yaml"
expect_true cmp -s "$WORK/inventory.yaml" "$WORK/again.yaml"
HOSTCTL_CATALOG="$second" hc site show shop -o json
expect_json "d['client'] == 'acme' and len(d['routes']) == 2 and d['deployments'][0]['params']['title'] == 'Quote \"this\" 0123'"
HOSTCTL_CATALOG="$second" hc doctor
expect_rc 0

TEST "import refuses a catalog that is not empty, and bad files, changing nothing"
before=$(catalog_digest)
hc import "$WORK/inventory.yaml"
expect_rc 4
expect_err_has "not empty"
expect_catalog_unchanged "$before"
third=$(other_catalog third)
HOSTCTL_CATALOG="$third" "$HOSTCTL_BIN" init -q >/dev/null
printf 'hostctl_export: 1\nschema_version: 1\n' > "$WORK/old.yaml"
HOSTCTL_CATALOG="$third" hc import "$WORK/old.yaml"
expect_rc 4
sed 's/^  - id: 1$/  - id: one/' "$WORK/inventory.yaml" > "$WORK/bad.yaml"
HOSTCTL_CATALOG="$third" hc import "$WORK/bad.yaml"
expect_rc 2
expect_err_has "bad.yaml:"
printf 'hosts: [' > "$WORK/broken.yaml"
HOSTCTL_CATALOG="$third" hc import "$WORK/broken.yaml"
expect_rc 2
HOSTCTL_CATALOG="$third" hc import "$WORK/missing.yaml"
expect_rc 3
n=$(HOSTCTL_CATALOG=$third catalog_sql "SELECT count(*) FROM host")
expect_true test "$n" = 0

TEST "pre-flight: a host without enough free space is refused before anything is written"
before=$(ls "$WORK/srv" | wc -l)
HOSTCTL_MIN_FREE_KB=999999999999 hc deployservice static-site --host control
expect_rc 5
expect_err_has "KiB free in $WORK/srv on control; at least 999999999999 KiB are needed"
expect_true test "$(ls "$WORK/srv" | wc -l)" = "$before"

TEST "doctor finds commands of dead processes; --repair marks them interrupted"
id=$(catalog_sql "SELECT max(id) FROM command")
catalog_sql "UPDATE command SET status = 1, pid = 999999999, pid_start = 1 WHERE id = $id"
hc doctor -o json
expect_json "d['interrupted_commands'] == 1 and d['repaired'] == 0"
expect_err_has "doctor --repair"
hc doctor --repair -o json
expect_json "d['repaired'] == 1"
hc task show "$id" --field status_name
expect_out INTERRUPTED

TEST "doctor finds a site that breaks a rule"
# On a copy: a launched site whose routes are none of them primary.
broken=$(catalog_snapshot broken)
HOSTCTL_CATALOG=$broken catalog_sql "UPDATE site SET launched = 1 WHERE name = 'shop'; UPDATE route SET is_primary = 0"
hc --catalog "$broken" doctor -o json
expect_rc 1
expect_json "d['integrity'] == 'ok' and d['rules'] == 'broken'"
expect_err_has "site 'shop': rule 6: launched without a primary route"
hc doctor -o json
expect_rc 0
expect_json "d['rules'] == 'ok' and d['problems'] == []"

TEST "progress on stderr only when it is a terminal"
run_cmd script -qec "$HOSTCTL_BIN host exec control -- true" /dev/null
expect_out_has "1/1 done"
hc host exec control -- true
expect_rc 0
printf '%s' "$ERR" | grep -q "done" && fail "progress was printed into a pipe"

done_testing
