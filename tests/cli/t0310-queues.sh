#!/usr/bin/env bash
# What cron runs: queued --async commands, site cron at each service's
# frequency (with a pinned clock), stats into usage records, scheduled
# backups, per-queue leases, the notify command on failure; then usage
# reports and an itemized invoice.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/../rig/rig.sh"
rig_skip_unless_ready
export TZ=UTC
"$HOSTCTL_BIN" init -q >/dev/null
rig_start 1 || exit 1
rig_nginx_start || exit 1
rig_register || exit 1
"$HOSTCTL_BIN" createservice "$EXAMPLES/static-site/service.yaml" -q >/dev/null
T0=2026-11-16T00:00:00Z

TEST "deployservice --async queues the install; queue run tasks runs it"
hc deployservice static-site --reserve --async -o json
expect_rc 0
expect_json "d['status'] == 1 and d['command_id'] > 0"
id=$(printf '%s' "$OUT" | python3 -c 'import json,sys; print(json.load(sys.stdin)["command_id"])')
name=$(printf '%s' "$OUT" | python3 -c 'import json,sys; print(json.load(sys.stdin)["name"])')
hc task show "$id" --field status_name
expect_out INITIATED
hc queue run tasks -o json
expect_rc 0
expect_json "d == [{'queue': 'tasks', 'skipped': False, 'ran': 1, 'failed': []}]"
hc task show "$id" --field status_name
expect_out COMPLETED
hc deployment show "$name" -o json
expect_json "d['status'] == 5 and d['ready_at']"

TEST "a reserve copy gets its permanent name later: the new name works before the old one goes"
rig_make_router
hc site create early --service static-site -o json
expect_err_has "took ready copy '$name' from the reserve"
expect_err_has "permanent name 'early-d"
final=$(printf '%s' "$OUT" | python3 -c 'import json,sys; d=json.load(sys.stdin); print("early-d%d" % d["deployments"][0]["id"])')
"$HOSTCTL_BIN" route add early.test --site early --primary --active-on-launch -q >/dev/null
"$HOSTCTL_BIN" site launch early -q >/dev/null
code() { curl -s -o /dev/null -w '%{http_code}' -H "Host: $1" "http://127.0.0.1:$RIG_NGINX_PORT/"; }
expect_true test "$(code early.test)" = 200
hc queue run tasks -o json
expect_json "d[0]['ran'] == 1 and d[0]['failed'] == []"
hc site show early --field active_deployment
expect_out "$final"
# One real directory, whose path the catalog keeps; the permanent name is a link to it.
real=$("$HOSTCTL_BIN" deployment show "$final" --field directory)
expect_true test -d "$real"
expect_true test ! -L "$real"
expect_true test "$(readlink -f "${RIG_BASE[1]}/$final")" = "$real"
expect_true grep -q "root $real/public;" "$RIG_NGINX_DIR/sites/hostctl-early.test.conf"
expect_true grep -q "\"deployment\":\"$final\"" "${RIG_BASE[1]}/$final/.hostctl-manifest.json"
expect_true test "$(code early.test)" = 200

TEST "a failed finalize leaves the site served under its reserve name"
"$HOSTCTL_BIN" deployservice static-site --reserve -q >/dev/null
hc site create late --service static-site -o json
reserve_name=$(printf '%s' "$OUT" | python3 -c 'import json,sys; print(json.load(sys.stdin)["active_deployment"])')
late_final=$(printf '%s' "$OUT" | python3 -c 'import json,sys; d=json.load(sys.stdin); print("late-d%d" % d["deployments"][0]["id"])')
mkdir -p "${RIG_BASE[1]}/$late_final/in-the-way"
"$HOSTCTL_BIN" route add late.test --site late --primary --active-on-launch -q >/dev/null
"$HOSTCTL_BIN" site launch late -q >/dev/null
hc queue run tasks
expect_rc 5
hc site show late --field active_deployment
expect_out "$reserve_name"
expect_true test "$(code late.test)" = 200
rm -rf "${RIG_BASE[1]:?}/$late_final"

TEST "task retry of a failed finalize finishes it: the site moves to its permanent name"
finalize_id=$(catalog_sql "SELECT max(id) FROM command WHERE action = 'finalize'")
hc task retry "$finalize_id"
expect_rc 0
hc site show late --field active_deployment
expect_out "$late_final"
expect_true test "$(code late.test)" = 200
"$HOSTCTL_BIN" site delete early --yes -q >/dev/null
"$HOSTCTL_BIN" site delete late --yes -q >/dev/null

TEST "site cron runs at the service's frequency"
HOSTCTL_NOW=$T0 "$HOSTCTL_BIN" client add acme -q >/dev/null
HOSTCTL_NOW=$T0 "$HOSTCTL_BIN" site create shop --service static-site --client acme -q >/dev/null
dir=$("$HOSTCTL_BIN" deployment show "$("$HOSTCTL_BIN" site show shop --field active_deployment)" --field directory)
HOSTCTL_NOW=$T0 hc queue run cron -o json
expect_json "d[0]['ran'] == 1"
expect_true test -s "$dir/public/cron.txt"
HOSTCTL_NOW=2026-11-16T00:30:00Z hc queue run cron -o json
expect_json "d[0]['ran'] == 0"
HOSTCTL_NOW=2026-11-16T01:00:00Z hc queue run cron -o json
expect_json "d[0]['ran'] == 1"

TEST "stats become usage records"
HOSTCTL_NOW=$T0 hc queue run stats -o json
expect_json "d[0]['ran'] == 1"
# The report ends now by default: read at the time the stats were taken.
HOSTCTL_NOW=$T0 hc usage report --client acme -o json
expect_json "[(r['site'], r['metric']) for r in d] == [('shop', 'disk_bytes')] and d[0]['last'] > 0"
hc usage report --from 2020-01-01 --to 2020-01-31 -o json
expect_json "d == []"
hc usage report --from yesterday
expect_rc 2

TEST "scheduled backups, once per interval"
HOSTCTL_NOW=$T0 hc queue run backup -o json
expect_json "d[0]['ran'] == 1"
HOSTCTL_NOW=2026-11-16T06:00:00Z hc queue run backup -o json
expect_json "d[0]['ran'] == 0"
hc backup list --site shop -o json
expect_json "len(d) == 1 and d[0]['status'] == 5"

TEST "a failure is recorded, reported (exit 5) and sent to the notify command as JSON"
rm -rf "$dir/public"
HOSTCTL_NOTIFY_COMMAND="cat > $WORK/notified.json" HOSTCTL_NOW=2026-11-16T03:00:00Z hc queue run cron
expect_rc 5
expect_err_has "queued command(s) failed"
python3 - "$WORK/notified.json" "$dir" <<'PY' || fail "the notify command did not receive the failed command, naming the site, host, step and log"
import json, sys
d = json.load(open(sys.argv[1]))
assert d['action'] == 'queue cron' and d['status'] == 9, d
f = d['failures']
assert len(f) == 1 and f[0]['site'] == 'shop' and f[0]['host'] == 'rig1' and f[0]['step'] == 'cron/heartbeat', f
assert f[0]['exit_code'] != 0 and any('cron.txt' in line for line in f[0]['log']), f
PY

TEST "a failed cron leaves the deployment as it was and the site on every schedule: retried and reported again"
hc deployment show "$("$HOSTCTL_BIN" site show shop --field active_deployment)" --field status
expect_out 5
rm -f "$WORK/notified.json"
HOSTCTL_NOTIFY_COMMAND="cat > $WORK/notified.json" HOSTCTL_NOW=2026-11-16T04:00:00Z hc queue run cron -o json
expect_rc 5
expect_json "d[0]['ran'] == 1 and len(d[0]['failed']) == 1"
expect_true test -s "$WORK/notified.json"
HOSTCTL_NOW=2026-11-16T04:00:00Z hc queue run stats -o json
expect_json "d[0]['ran'] == 1 and d[0]['failed'] == []"
mkdir -p "$dir/public"
chown "$RIG_USER" "$dir/public"
HOSTCTL_NOW=2026-11-16T05:00:00Z hc queue run cron -o json
expect_rc 0
expect_json "d[0]['ran'] == 1 and d[0]['failed'] == []"
expect_true test -s "$dir/public/cron.txt"

TEST "each queue has its own lease: a busy queue is skipped, the others run"
hold_catalog_lock queue-cron 3
holder=$HOLDER_PID
HOSTCTL_NOW=2026-11-16T09:00:00Z hc queue run -o json
expect_rc 0
expect_json "{q['queue']: q['skipped'] for q in d} == {'tasks': False, 'cron': True, 'backup': False, 'stats': False, 'certs': False}"
wait "$holder"

TEST "nothing to do: silent for cron"
# The cron skipped above while its lease was held is due, and runs first.
HOSTCTL_NOW=2026-11-16T09:00:00Z hc queue run cron -o json
expect_json "d[0]['ran'] == 1 and d[0]['failed'] == []"
HOSTCTL_NOW=2026-11-16T09:00:00Z hc queue run
expect_rc 0
expect_out_empty
expect_err_empty
hc queue run nightly
expect_rc 2

TEST "invoice: itemized per site at the service's price, pro rata"
HOSTCTL_NOW=2026-11-01T00:00:00Z "$HOSTCTL_BIN" site create blog --service static-site --client acme -q >/dev/null
hc invoice acme --period 2026-11 -o json
expect_rc 0
expect_json "[(l['site'], l['days'], l['amount']) for l in d['lines']] == [('blog', 30, 5.0), ('shop', 15, 2.5)] and d['totals'] == {'EUR': 7.5}"
hc invoice acme --period 2026-11
expect_out_has "TOTAL"
expect_out_has "7.50  EUR"
hc invoice acme --period 2026-10 -o json
expect_json "d['lines'] == [] and d['totals'] == {}"
# In whole cents: 0.29 a month for 15 of 30 days is 14.5 cents, 15 rounded half up
# (in floating point 0.29 * 15 / 30 * 100 is 14.4999..., which rounds to 14).
cp -r "$EXAMPLES/static-site" "$WORK/cheap"
sed -i -e 's/^name: .*/name: cheap/' -e 's/^price: .*/price: {monthly: 0.29, currency: EUR}/' "$WORK/cheap/service.yaml"
"$HOSTCTL_BIN" createservice "$WORK/cheap/service.yaml" -q >/dev/null
HOSTCTL_NOW=2026-11-16T00:00:00Z "$HOSTCTL_BIN" site create penny --service cheap --client acme -q >/dev/null
hc invoice acme --period 2026-11 -o json
expect_json "[(l['amount_cents'], l['amount']) for l in d['lines'] if l['site'] == 'penny'] == [(15, 0.15)] and d['totals_cents'] == {'EUR': 765}"
# One table layout for every report: a 40-character site name widens its
# column and every amount still ends in the same place.
long=$(printf 'a%.0s' $(seq 40))
HOSTCTL_NOW=2026-11-20T00:00:00Z "$HOSTCTL_BIN" site create "$long" --service static-site --client acme -q >/dev/null
hc invoice acme --period 2026-11
expect_out_has "$long"
printf '%s\n' "$OUT" | python3 -c '
import sys
lines = [l for l in sys.stdin.read().splitlines()[2:] if l]
ends = {l.index("EUR") for l in lines if "EUR" in l}
assert len(lines) == 6 and len(ends) == 1 and lines[0].index("CURRENCY") in ends, lines
' || fail "the invoice columns do not line up"
hc invoice acme --period 2026-13
expect_rc 2
hc invoice nobody --period 2026-11
expect_rc 3

done_testing
