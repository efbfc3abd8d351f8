#!/usr/bin/env bash
# The reserve against real hosts: minimum, window, expiry (with a pinned
# clock), a second refill changing nothing, dry-run, cron silence, the lock
# (busy, --wait, a killed holder), and 50 concurrent site creates against a
# reserve of 20: 20 distinct copies, 30 fresh installs, no copy given twice.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/../rig/rig.sh"
RIG_PER_USER=1  # one Unix user per host: no two hosts share files
rig_skip_unless_ready
export TZ=UTC
"$HOSTCTL_BIN" init -q >/dev/null
rig_start 2 || exit 1
rig_register --capacity 200 || exit 1
"$HOSTCTL_BIN" createservice "$EXAMPLES/static-site/service.yaml" -q >/dev/null
# Every reading of the reserve is made at the time the copies it judges were
# made at: a pinned refill read on the wall clock looks expired a day later.
ready() { HOSTCTL_NOW=${2:-} "$HOSTCTL_BIN" reserve status "$1" --field ready; }
NIGHT=2026-11-24T02:00:00Z   # inside 01:00-05:00
DAY=2026-11-24T12:00:00Z

TEST "below the minimum: emergency copies, whatever the time"
HOSTCTL_NOW=$DAY hc reserve refill -o json
expect_rc 0
expect_json "d[0]['reason'] == 'below the minimum: emergency refill' and len(d[0]['made']) == 1"
expect_true test "$(ready static-site $DAY)" = 1
hc deployment list --service static-site -o json
expect_json "all(x['stage'] == 'provision' and x['status'] == 5 and x['ready_at'] for x in d)"

TEST "dry-run prints the plan and changes nothing"
before=$(catalog_digest)
HOSTCTL_NOW=$NIGHT hc reserve refill --dry-run -o json
expect_rc 0
expect_json "d[0]['make'] == 2 and d[0]['window_open']"
expect_catalog_unchanged "$before"

TEST "inside the window: fill to size; copies spread over hosts"
HOSTCTL_NOW=$NIGHT hc reserve refill -o json
expect_json "len(d[0]['made']) == 2 and d[0]['ready'] == 1 and d[0]['ready_after'] == 3"
expect_err_has "made 2 ready copies of 'static-site':"
expect_true test "$(ready static-site $NIGHT)" = 3
hc deployment list --service static-site -o json
expect_json "sorted(set(x['host'] for x in d)) == ['rig1', 'rig2']"

TEST "a second refill changes nothing, and cron hears nothing"
HOSTCTL_NOW=$NIGHT hc reserve refill -o json
expect_json "d[0]['made'] == [] and d[0]['removed'] == []"
HOSTCTL_NOW=$NIGHT hc reserve refill
expect_rc 0
expect_out_empty
expect_err_empty

TEST "expired copies are replaced inside the window, kept outside it"
LATER_DAY=2026-11-25T12:00:00Z LATER_NIGHT=2026-11-26T02:00:00Z
HOSTCTL_NOW=$LATER_DAY hc reserve status -o json
expect_json "d[0]['ready'] == 0 and len(d[0]['expired']) == 3"
HOSTCTL_NOW=$LATER_DAY hc reserve refill -o json
expect_json "d[0]['made'] == [] and d[0]['removed'] == []"
HOSTCTL_NOW=$LATER_NIGHT hc reserve refill -o json
expect_json "len(d[0]['made']) == 3 and len(d[0]['removed']) == 3"
hc deployment list --all --service static-site -o json
expect_json "sum(1 for x in d if x['stage'] == 'removed') == 3"

TEST "one refill at a time: a second (from another node) exits 7 naming the holder and its node, or waits"
sed 's/^name: static-site/name: slow-site/; s/^reserve: .*/reserve: {size: 2, minimum: 2}/' \
  "$EXAMPLES/static-site/service.yaml" > "$WORK/slow.yaml"
cp "$EXAMPLES/static-site/render.sh" "$WORK/"
# A sleep of its own (2.NNNNN s), told apart from other tests' sleeps by pgrep.
slow_sleep="sleep 2.$$"
python3 - "$WORK/slow.yaml" "$slow_sleep" <<'PY'
import sys
p = sys.argv[1]
s = open(p).read().replace("  install:\n", f"  install:\n    - name: slowly\n      run: {sys.argv[2]}\n", 1)
open(p, "w").write(s)
PY
"$HOSTCTL_BIN" createservice "$WORK/slow.yaml" -q >/dev/null
HOSTCTL_NODE=node-a "$HOSTCTL_BIN" reserve refill slow-site -o json >"$WORK/first.json" 2>&1 &
first=$!
sleep 0.7
HOSTCTL_NODE=node-b hc reserve refill slow-site
expect_rc 7
expect_err_has "reserve refill is already running (user $(id -un), pid $first on node node-a"
hc reserve refill slow-site --wait=20 -o json
expect_rc 0
expect_json "d[0]['made'] == []"
wait "$first"

TEST "a holder killed with SIGKILL: the next run proceeds at once and cleans its half-made copies"
"$HOSTCTL_BIN" reserve prune slow-site -q >/dev/null
catalog_sql "UPDATE deployment SET ready_at = '2020-01-01T00:00:00Z' WHERE stage = 'provision'"
"$HOSTCTL_BIN" reserve prune slow-site -q >/dev/null
# A lease of ten minutes: only its process, seen dead on this node, frees its work at once.
HOSTCTL_NODE_LEASE=600s "$HOSTCTL_BIN" reserve refill slow-site -q >/dev/null 2>&1 &
pid=$!
wait_until 60 pgrep -f "$slow_sleep" >/dev/null
kill -KILL "$pid"
wait "$pid" 2>/dev/null
start=$(date +%s)
hc reserve refill slow-site -o json
expect_rc 0
expect_true test $(( $(date +%s) - start )) -lt 300
expect_json "len(d[0]['removed']) == 2 and len(d[0]['made']) == 2"
hc reserve status slow-site -o json
expect_json "d[0]['ready'] == 2 and d[0]['failed'] == [] and d[0]['building'] == 0"

TEST "50 site creates at once from three nodes against a reserve of 20: 20 distinct copies, 30 fresh installs"
sed 's/^name: static-site/name: burst/; s/^reserve: .*/reserve: {size: 20, minimum: 20}/' \
  "$EXAMPLES/static-site/service.yaml" > "$WORK/burst.yaml"
"$HOSTCTL_BIN" createservice "$WORK/burst.yaml" -q >/dev/null
hc reserve refill burst -o json
expect_json "len(d[0]['made']) == 20"
copies=$(catalog_sql "SELECT d.id FROM deployment d JOIN service s ON s.id = d.service_id WHERE s.name = 'burst' AND d.stage = 'provision' AND d.status = 5" | paste -sd,)
pids=()
for i in $(seq 1 50); do
  HOSTCTL_NODE=node$((i % 3)) "$HOSTCTL_BIN" site create "burst$i" --service burst -o json \
    >"$WORK/burst$i.json" 2>"$WORK/burst$i.err" &
  pids+=($!)
done
failed=0
for p in "${pids[@]}"; do wait "$p" || failed=$((failed + 1)); done
expect_true test "$failed" = 0
[ "$failed" = 0 ] || head -5 "$WORK"/burst*.err >&2
from_reserve=$(for f in "$WORK"/burst[0-9]*.json; do
  python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["from_reserve"])' "$f"; done | grep -c True)
expect_true test "$from_reserve" = 20
[ "$from_reserve" = 20 ] || grep -h "failed its check" "$WORK"/burst*.err >&2
q() { catalog_sql "$1"; }
expect_true test "$(q "SELECT count(*) FROM site WHERE name LIKE 'burst%'")" = 50
expect_true test "$(q "SELECT count(DISTINCT site_id) FROM deployment WHERE site_id IN (SELECT id FROM site WHERE name LIKE 'burst%') AND active = 1")" = 50
expect_true test "$(q "SELECT count(*) FROM deployment WHERE id IN ($copies) AND site_id IS NOT NULL")" = 20
expect_true test "$(q "SELECT count(*) FROM deployment WHERE site_id IN (SELECT id FROM site WHERE name LIKE 'burst%')")" = 50
expect_true test "$(q "SELECT count(*) FROM deployment WHERE site_id IN (SELECT id FROM site WHERE name LIKE 'burst%') AND status = 5")" = 50
nodes_sql='SELECT DISTINCT node FROM command WHERE argv LIKE '"'"'%"create","burst%'"'"' ORDER BY node'
expect_true test "$(q "$nodes_sql" | paste -sd,)" = "node0,node1,node2"
hc doctor
expect_rc 0

done_testing
