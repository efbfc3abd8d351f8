#!/usr/bin/env bash
# Every section of docs/JSON.md against the real -o json output, both ways:
# each documented field is there with its type, and nothing undocumented is.
. "$(dirname "$0")/lib.sh"
H=$HOSTCTL_BIN
DOC="$HOSTCTL_SOURCE_DIR/docs/JSON.md"
$H init -q >/dev/null
mkdir -p "$WORK/srv"
$H host add control --transport local --base-dir "$WORK/srv" --role web --role router -q >/dev/null
$H client add acme --max-sites 5 -q >/dev/null
$H createservice "$EXAMPLES/static-site/service.yaml" -q >/dev/null
$H createservice "$EXAMPLES/notes-sqlite/service.yaml" -q >/dev/null
$H site create shop --service static-site --client acme -q >/dev/null
dep=$($H site show shop --field active_deployment)
$H deployment verify "$dep" -q >/dev/null
$H route add shop.test --site shop --primary -q >/dev/null
$H site backup shop -q >/dev/null
$H queue run stats -q >/dev/null || true
HOSTCTL_NOW=2026-11-20T00:00:00Z $H site create notes --service notes-sqlite --client acme -q >/dev/null

cat > "$WORK/check.py" <<'PY'
import json, re, sys
doc, section = open(sys.argv[1]).read(), sys.argv[2]
body = re.search(r"^## " + re.escape(section) + r"\n(.*?)(?=^## |\Z)", doc, re.M | re.S).group(1)
fields = dict(re.findall(r"^\| (\w+) \| ([a-z|\\]+) \|$", body, re.M))
fields = {k: v.replace("\\", "") for k, v in fields.items() if k != "field"}
names = {"integer": int, "number": (int, float), "string": str, "boolean": bool, "array": list, "object": dict}
data = json.load(sys.stdin)
rows = data if isinstance(data, list) else [data]
assert rows, "no rows to check"
ok = True
for row in rows:
    extra = set(row) - set(fields)
    missing = set(fields) - set(row)
    if missing:
        print("  missing:", sorted(missing)); ok = False
    for key in sorted(set(fields) & set(row)):
        kinds = fields[key].split("|")
        value = row[key]
        if value is None and "null" in kinds: continue
        if isinstance(value, bool) and "boolean" not in kinds:
            print("  wrong type:", key); ok = False; continue
        if not any(isinstance(value, names[k]) for k in kinds if k != "null"):
            print("  wrong type:", key, repr(value)[:40]); ok = False
    allowed = {"deployment", "from_reserve", "command_id", "pruned", "verified", "scratch_deployment",
               "make", "remove", "reason", "made", "removed", "drift", "migrated_from", "migrated_to",
               "removed_deployments"}
    if extra - allowed:
        print("  undocumented:", sorted(extra - allowed)); ok = False
sys.exit(0 if ok else 1)
PY

# check SECTION COMMAND...: the output (or each element of it) against the section.
check() {
  local section=$1
  shift
  if [ "$1" = --file ]; then OUT=$(cat "$2"); RC=0; else hc -o json "$@"; fi
  [ "$RC" = 0 ] || { fail "hostctl $* exited $RC"; return; }
  printf '%s' "$OUT" | python3 "$WORK/check.py" "$DOC" "$section" ||
    fail "hostctl $* -o json does not match docs/JSON.md section '$section'"
}

TEST "every documented object matches the real output"
check host host show control
check host host list
check client client show acme
check service listservices
check deployment deployment list
check deployment-show deployment show "$dep"
check site site list
check site-show site show shop
check route route list
check backup backup list
check command task list
hc task show 1 -o json
printf '%s' "$OUT" | python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin)["tasks"]))' > "$WORK/tasks.json"
check task --file "$WORK/tasks.json"
check host-result host exec control -- true
check reserve reserve status static-site
check queue queue run tasks
check package package list
check usage usage report
check invoice invoice acme --period 2026-11
check version version
check doctor doctor
check init init
check config config show --origin
check audit audit list
"$HOSTCTL_BIN" host exec control -q -- echo hello >/dev/null
check log task log "$("$HOSTCTL_BIN" task list -n 1 -o id)"
check host-import host import control
hc export --with-secrets --file "$WORK/inv.yaml"
other=$(other_catalog other)
HOSTCTL_CATALOG="$other" "$HOSTCTL_BIN" init -q >/dev/null
HOSTCTL_CATALOG="$other" check import import "$WORK/inv.yaml"
check catalog-copy catalog copy --to "$(other_catalog copied)"

TEST "errors on stderr with -o json match the error section"
hc site show nope -o json
expect_rc 3
printf '%s' "$ERR" | python3 -c '
import json, sys
e = json.load(sys.stdin)["error"]
assert set(e) == {"kind", "exit_code", "message", "hint"} and isinstance(e["exit_code"], int), e' || fail "error object"

done_testing
