#!/usr/bin/env bash
# Zero downtime, proven: an HTTP probe runs through the router (about 50
# requests a second) during a finalize, a site switch, a site migrate to
# another web host and a host verify --repair, on the per-user rig. Every
# request must get a 200 with the site's own page, from the old or the new
# deployment; each step reports how many requests it sent and how many failed.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/../rig/rig.sh"
rig_skip_unless_ready
H=$HOSTCTL_BIN
rig_data_plane 3 || exit 1
$H createservice "$EXAMPLES/static-site/service.yaml" -q >/dev/null || exit 1

active() { catalog_sql "SELECT name || ' ' || host_id FROM deployment WHERE active = 1"; }

TEST "setup: a site from the reserve, served through the router"
hc reserve refill static-site -q
expect_rc 0
hc site create zd --service static-site -o json
expect_rc 0
expect_json "d['from_reserve']"
hc route add zd.test --site zd -q
hc route activate zd.test
expect_rc 0
expect_http 200 zd.test
expect_true grep -q "site: zd" "$WORK/page"

TEST "no request fails during a finalize (queue run tasks)"
before=$(active)
probe_during "$RIG_NGINX_PORT" zd.test "site: zd" queue run tasks
expect_true test "$(active)" != "$before"

TEST "no request fails during a site switch"
hc site clone zd --label v2 -o json
v2=$(printf '%s' "$OUT" | python3 -c 'import json,sys; print(json.load(sys.stdin)["name"])')
probe_during "$RIG_NGINX_PORT" zd.test "site: zd" site switch zd --to "$v2"
expect_true test "$(active)" = "$v2 $(catalog_sql "SELECT host_id FROM deployment WHERE name = '$v2'")"

TEST "no request fails during a site migrate to another web host"
probe_during "$RIG_NGINX_PORT" zd.test "site: zd" site migrate zd --to-host rig3
expect_true test "$(active | cut -d' ' -f2)" = "$(catalog_sql "SELECT id FROM host WHERE name = 'rig3'")"

TEST "no request fails during host verify --repair of a router and a web host"
id=$(catalog_sql "SELECT id FROM deployment WHERE active = 1")
echo "# edited by hand" >> "$RIG_NGINX_DIR/sites/hostctl-zd.test.conf"
echo "# edited by hand" >> "${RIG_WEB_DIR[3]}/sites/hostctl-backend-$id.conf"
hc host verify rig1 rig3 -o json
expect_json "sorted(x['kind'] for r in d for x in r['drift']) == ['router-file-differs', 'web-file-differs']"
probe_during "$RIG_NGINX_PORT" zd.test "site: zd" host verify rig1 rig3 --repair
hc host verify rig1 rig3 -o json
expect_json "all(r['drift'] == [] for r in d)"

done_testing
