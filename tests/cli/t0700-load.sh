#!/usr/bin/env bash
# 200 hostctl processes at once against one catalog: writers (client add,
# host add, site create with real installs on the control node, route activate
# through a real sshd host and nginx) and readers (site list, task list, task
# log). None may fail with "database is locked", no row may be lost, no rule
# broken, and every activated route is served.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/../rig/rig.sh"
RIG_PER_USER=1  # one Unix user per host: no two hosts share files
rig_skip_unless_ready
H=$HOSTCTL_BIN
$H init -q >/dev/null
rig_start 1 || exit 1
rig_nginx_start || exit 1
rig_register || exit 1
rig_make_router
# The control node's sites live where the rig's nginx may read them.
mkdir -p "$RIG_DIR/control"
$H host add control --transport local --base-dir "$RIG_DIR/control" --capacity 500 -q >/dev/null
$H createservice "$EXAMPLES/static-site/service.yaml" -q >/dev/null
# 40 sites with a route each, to be activated all at once.
for i in $(seq 1 40); do
  $H site create "p$i" --service static-site --host control -q >/dev/null &&
    $H route add "p$i.test" --site "p$i" -q >/dev/null || { echo "setup failed at p$i"; exit 1; }
done

TEST "200 concurrent writers and readers"
pids=()
start=$(date +%s)
for i in $(seq 1 200); do
  case $((i % 10)) in
    0) args=(client add "c$i") ;;
    5) args=(host add "h$i" --transport local --base-dir "$RIG_DIR/control") ;;
    1|6) args=(site create "s$i" --service static-site --host control) ;;
    2|7) args=(route activate "p$(( (i + 3) / 5 )).test") ;;
    3) args=(site list -o json) ;;
    8) args=(task log 1) ;;
    4|9) args=(task list -o json) ;;
  esac
  "$H" "${args[@]}" >"$WORK/load$i.out" 2>"$WORK/load$i.err" </dev/null &
  pids+=($!)
done
failed=0 failures=""
for idx in "${!pids[@]}"; do
  wait "${pids[$idx]}" && continue
  rc=$? n=$((idx + 1))
  failed=$((failed + 1))
  failures+=$'\n'"  load$n (exit $rc): $(head -c 400 "$WORK/load$n.err")"
done
echo "# 200 processes in $(( $(date +%s) - start )) s"
[ "$failed" = 0 ] || fail "$failed processes failed:$failures"
if cat "$WORK"/load*.err | grep -qi "locked\|busy"; then
  fail "a process hit a locked or busy catalog: $(cat "$WORK"/load*.err | grep -i "locked\|busy" | head -3)"
fi
q() { catalog_sql "$1"; }
expect_true test "$(q "SELECT count(*) FROM client")" = 20
expect_true test "$(q "SELECT count(*) FROM site")" = 80
expect_true test "$(q "SELECT count(*) FROM host")" = 22
expect_true test "$(q "SELECT count(*) FROM deployment WHERE active = 1 AND status = 5")" = 80
expect_true test "$(q "SELECT count(*) FROM route WHERE active = 1")" = 40
expect_true test "$(q "SELECT count(*) FROM (SELECT site_id FROM deployment WHERE active = 1 GROUP BY site_id HAVING count(*) > 1) dup")" = 0
expect_true test "$(q "SELECT count(*) FROM command WHERE status != 5")" = 0
for f in "$WORK"/load*.out; do
  case $f in *load*3.out|*load*4.out|*load*9.out) python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$f" || fail "a reader printed broken JSON";; esac
done
hc doctor -o json
expect_rc 0
expect_json "d['rules'] == 'ok' and d['unsynced_routers'] == []"
# Every activated route is served: the last sync wrote them all.
for i in $(seq 1 40); do
  code=$(curl -s -o /dev/null -w '%{http_code}' -H "Host: p$i.test" "http://127.0.0.1:$RIG_NGINX_PORT/")
  [ "$code" = 200 ] || fail "p$i.test answered $code"
done

done_testing
