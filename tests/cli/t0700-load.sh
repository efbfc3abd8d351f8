#!/usr/bin/env bash
# 200 hostctl processes at once against one catalog: writers (client add,
# host add, site create with real installs on the control node) and readers
# (site list, task list, task log). None may fail with "database is locked",
# no row may be lost, no rule broken.
. "$(dirname "$0")/lib.sh"
H=$HOSTCTL_BIN
$H init -q >/dev/null
mkdir -p "$WORK/srv"
$H host add control --transport local --base-dir "$WORK/srv" --capacity 500 -q >/dev/null
$H createservice "$EXAMPLES/static-site/service.yaml" -q >/dev/null

TEST "200 concurrent writers and readers"
pids=()
start=$(date +%s)
for i in $(seq 1 200); do
  case $((i % 5)) in
    0) args=(client add "c$i") ;;
    1) args=(site create "s$i" --service static-site --host control) ;;
    2) args=(host add "h$i" --transport local --base-dir "$WORK/srv") ;;
    3) args=(site list -o json) ;;
    4) args=(task list -o json) ;;
  esac
  "$H" "${args[@]}" >"$WORK/load$i.out" 2>"$WORK/load$i.err" </dev/null &
  pids+=($!)
done
failed=0
for p in "${pids[@]}"; do wait "$p" || failed=$((failed + 1)); done
echo "# 200 processes in $(( $(date +%s) - start )) s"
expect_true test "$failed" = 0
if cat "$WORK"/load*.err | grep -qi "locked\|busy"; then fail "a process hit a locked or busy catalog"; fi
q() { sqlite3 "$HOSTCTL_CATALOG" "$1"; }
expect_true test "$(q "SELECT count(*) FROM client")" = 40
expect_true test "$(q "SELECT count(*) FROM site")" = 40
expect_true test "$(q "SELECT count(*) FROM host")" = 41
expect_true test "$(q "SELECT count(*) FROM deployment WHERE active = 1 AND status = 5")" = 40
expect_true test "$(q "SELECT count(*) FROM (SELECT site_id FROM deployment WHERE active = 1 GROUP BY site_id HAVING count(*) > 1)")" = 0
expect_true test "$(q "SELECT count(*) FROM command WHERE status != 5")" = 0
for f in "$WORK"/load*.out; do
  case $f in *load*3.out|*load*8.out|*load*4.out|*load*9.out) python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$f" || fail "a reader printed broken JSON";; esac
done
hc doctor
expect_rc 0

done_testing
