#!/usr/bin/env bash
# The hosting lifecycle on real sshd hosts and a real nginx router: the Atlas
# state flow end to end, checking stages, active flags, the router's files and
# HTTP answers at every step; then the rules' refusals and the router's
# restore when nginx -t fails.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/../rig/rig.sh"
rig_suite 2  # one Unix user per host: no two hosts share files
"$HOSTCTL_BIN" host edit rig2 --role db -q >/dev/null

field() { "$HOSTCTL_BIN" "$@" 2>/dev/null; }
router_file() { echo "$RIG_NGINX_DIR/sites/hostctl-$1.conf"; }

TEST "Atlas flow 1: a reserve copy is installed and verified"
hc deployservice static-site --reserve -o json
expect_rc 0
expect_json "d['stage'] == 'provision' and d['status'] == 5 and d['site'] is None and d['ready_at']"
first=$(printf '%s' "$OUT" | python3 -c 'import json,sys; print(json.load(sys.stdin)["name"])')
first_dir=$(field deployment show "$first" --field directory)
expect_true test -s "$first_dir/public/index.html"
expect_true grep -q '"stage":"provision"' "$first_dir/.hostctl-manifest.json"
hc deployment show "$first" -o json
expect_json "d['packages'] == {'static-page': '1.0'} and int(d['facts']['page_bytes']) > 0"

TEST "Atlas flow 2: site created from the reserve copy"
hc site create alpha --service static-site --param 'title=Alpha Site' -o json
expect_rc 0
expect_err_has "took ready copy '$first' from the reserve"
expect_json "d['from_reserve'] and d['deployment'] == '$first' and d['active_deployment'] == '$first'"
hc deployment show "$first" -o json
expect_json "d['stage'] == 'allocate' and d['active'] and d['site'] == 'alpha' and d['status'] == 5"
expect_true grep -q "Alpha Site" "$first_dir/public/index.html"
expect_true grep -q '"site":"alpha"' "$first_dir/.hostctl-manifest.json"

TEST "Atlas flow 3: primary route reserved, not yet served"
hc route add alpha.test --site alpha --primary --active-on-launch -o json
expect_rc 0
expect_json "d['active'] is False and d['primary'] and d['router'] == 'rig1'"
expect_true test ! -e "$(router_file alpha.test)"
expect_http 404 alpha.test

TEST "Atlas flow 4: launch makes the route active; the site is served"
hc site launch alpha -o json
expect_rc 0
expect_json "d['launched'] and d['routes'][0]['active']"
expect_served_from alpha.test "$first_dir"
expect_http 200 alpha.test
expect_true grep -q "deployment: $first" "$WORK/page"

TEST "Atlas flow 5: a second deployment allocated to the site"
hc site clone alpha --label v2 -o json
expect_rc 0
second=$(printf '%s' "$OUT" | python3 -c 'import json,sys; print(json.load(sys.stdin)["name"])')
hc deployment show "$second" -o json
expect_json "d['stage'] == 'allocate' and not d['active'] and d['label'] == 'v2' and d['cloned_from'] is not None"
expect_http 200 alpha.test
expect_true grep -q "deployment: $first" "$WORK/page"

TEST "Atlas flow 6: switch to the second; the first is locked"
# The clone is its source's copy; a change made in it shows which copy is served.
second_page="$(field deployment show "$second" --field directory)/public/index.html"
cmp -s "$second_page" "$first_dir/public/index.html" || fail "the clone's page differs from its source's"
echo "<p>deployment: $second</p>" >> "$second_page"
hc site switch alpha --to "$second" -o json
expect_rc 0
expect_json "d['active_deployment'] == '$second'"
hc deployment list --site alpha -o json
expect_json "{x['name']: (x['stage'], x['active']) for x in d} == {'$first': ('lock', False), '$second': ('allocate', True)}"
second_dir=$(field deployment show "$second" --field directory)
expect_served_from alpha.test "$second_dir"
expect_http 200 alpha.test
expect_true grep -q "deployment: $second" "$WORK/page"
expect_true grep -q '"stage":"lock"' "$first_dir/.hostctl-manifest.json"

TEST "Atlas flow 7: the first is archived"
hc deployment archive "$first" -o json
expect_rc 0
expect_json "d['stage'] == 'archive'"
expect_http 200 alpha.test

TEST "Atlas flow 8: the first is deleted, kept as history"
hc deployment delete "$first" --yes -o json
expect_rc 0
expect_json "d['stage'] == 'removed' and d['status'] == 8"
expect_true test ! -e "$first_dir"
hc deployment list --site alpha --field name
expect_out "$second"
hc deployment list --site alpha --all --field name
expect_out "$(printf '%s\n%s' "$first" "$second")"
expect_http 200 alpha.test

TEST "rules refuse with exit 4 and change nothing"
before=$(catalog_digest)
hc route deactivate alpha.test
expect_rc 4
expect_err_has "primary route of launched site 'alpha'"
hc route delete alpha.test --yes
expect_rc 4
expect_err_has "primary route of launched site 'alpha' and cannot be deleted"
hc route add other.alpha.test --site alpha --primary
expect_rc 4
expect_err_has "launched: its primary route cannot change"
hc site launch alpha
expect_rc 4
hc site switch alpha --to "$second"
expect_rc 4
expect_err_has "already the active one"
hc deployment archive "$second"
expect_rc 4
expect_err_has "active deployment and cannot be archived"
hc deployment unlock "$second"
expect_rc 4
expect_err_has "is not locked"
hc deployment delete "$second" --yes
expect_rc 4
hc route add Bad_Domain --site alpha
expect_rc 2
hc route add alpha.test/../etc --site alpha
expect_rc 2
hc route add alpha.test --site alpha
expect_rc 4
hc site create alpha --service static-site
expect_rc 4
hc site create beta --service nope
expect_rc 3
hc site create beta --service static-site --param color=red
expect_rc 2
hc site create beta --service static-site --param 'title=<script>'
expect_rc 2
expect_catalog_unchanged "$before"
hc site create beta
expect_rc 2

TEST "a site without a primary route cannot launch"
hc site create beta --service static-site -q -o json >/dev/null
hc site create beta2 --service static-site --host rig2
expect_rc 4
hc site launch beta
expect_rc 4
expect_err_has "has no primary route"

TEST "secondary routes: activate serves, deactivate stops serving"
hc route add beta.test --site beta -q >/dev/null
hc route add beta.test/docs --site beta -q >/dev/null
hc route activate beta.test beta.test/docs -o json
expect_rc 0
expect_json "all(r['active'] for r in d)"
expect_http 200 beta.test
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Host: beta.test" "http://127.0.0.1:$RIG_NGINX_PORT/docs/")
expect_true test "$code" = 200
hc route deactivate beta.test beta.test/docs
expect_rc 0
expect_http 404 beta.test
expect_true test ! -e "$(router_file beta.test)"
expect_http 200 alpha.test

TEST "the active deployment can be locked while it serves (a content freeze), and unlocked"
hc deployment lock "$second" -o json
expect_rc 0
expect_json "d['stage'] == 'lock' and d['active']"
expect_http 200 alpha.test
expect_true test -z "$(find "$second_dir/public" -perm /222)"
expect_true grep -q '"stage":"lock"' "$second_dir/.hostctl-manifest.json"
hc doctor
expect_rc 0
hc deployment unlock "$second" -o json
expect_rc 0
expect_json "d['stage'] == 'allocate' and d['active']"
expect_true test -n "$(find "$second_dir/public/index.html" -perm -200)"
expect_http 200 alpha.test

TEST "nginx -t failure: the previous files are restored and the route stays inactive"
echo "this is not nginx syntax" > "$RIG_NGINX_DIR/sites/broken.conf"
before_file=$(cat "$(router_file alpha.test)")
hc route activate beta.test
expect_rc 5
expect_err_has "nginx -t rejected the new configuration"
rm "$RIG_NGINX_DIR/sites/broken.conf"
hc route show beta.test --field active
expect_out false
expect_true test "$(cat "$(router_file alpha.test)")" = "$before_file"
expect_http 200 alpha.test
expect_http 404 beta.test

TEST "health-gated switch: a copy that fails verify is not switched to"
hc site clone alpha --label broken -q -o json
broken=$(printf '%s' "$OUT" | python3 -c 'import json,sys; print(json.load(sys.stdin)["name"])')
rm "$(field deployment show "$broken" --field directory)/public/index.html"
hc site switch alpha --to "$broken"
expect_rc 5
expect_err_has "task 'verify/page' on host 'rig1' failed"
hc site show alpha --field active_deployment
expect_out "$second"
expect_http 200 alpha.test

TEST "health-gated switch: a copy its web host cannot serve is refused before any router is touched"
hc site clone alpha --label unreadable -q -o json
bad=$(printf '%s' "$OUT" | python3 -c 'import json,sys; print(json.load(sys.stdin)["name"])')
# Passes verify (the file has a size) but nginx cannot read it: 403.
ln -sf /etc/shadow "$(field deployment show "$bad" --field directory)/public/index.html"
syncs=$(catalog_sql "SELECT count(*) FROM command WHERE action = 'route sync'")
hc site switch alpha --to "$bad"
expect_rc 5
expect_err_has "does not answer through its backend block: HTTP 403"
expect_err_has "the site was not switched"
expect_true test "$(catalog_sql "SELECT count(*) FROM command WHERE action = 'route sync'")" = "$syncs"
hc site show alpha --field active_deployment
expect_out "$second"
hc deployment list --site alpha -o json
expect_json "[x['stage'] for x in d if x['name'] == '$second'] == ['allocate'] and [x['active'] for x in d if x['name'] == '$bad'] == [False]"
expect_served_from alpha.test "$second_dir"
expect_http 200 alpha.test

TEST "disable and enable run the service's actions; routes stay"
hc site disable alpha -o json
expect_rc 0
expect_json "d['enabled'] is False and d['routes'][0]['active']"
expect_true test -e "$second_dir/public/maintenance.html"
hc site enable alpha -o json
expect_json "d['enabled']"
expect_true test ! -e "$second_dir/public/maintenance.html"

TEST "a protected site refuses delete and disable"
hc site protect alpha -q
before=$(catalog_digest)
hc site delete alpha --yes
expect_rc 4
expect_err_has "protected"
hc site disable alpha
expect_rc 4
expect_catalog_unchanged "$before"
hc site unprotect alpha -q

TEST "a client's max_sites is enforced"
"$HOSTCTL_BIN" client add small --max-sites 1 -q >/dev/null
hc site create s1 --service static-site --client small -q
expect_rc 0
before=$(catalog_digest)
hc site create s2 --service static-site --client small
expect_rc 4
expect_err_has "its maximum"
expect_err_has "hostctl client edit small --max-sites N"
expect_catalog_unchanged "$before"

TEST "client edit raises or lifts a quota, never below what the client has; bad input changes nothing"
hc client edit small --max-sites 0
expect_rc 4
expect_err_has "has 1 site(s)"
hc client edit small --max-sites lots
expect_rc 2
hc client edit small
expect_rc 2
hc client edit nobody --max-sites 3
expect_rc 3
expect_catalog_unchanged "$before"
hc client edit small --max-sites 2 --email ops@small.test -o json
expect_rc 0
expect_json "d['max_sites'] == 2 and d['email'] == 'ops@small.test'"
hc site create s2 --service static-site --client small -q
expect_rc 0
hc client edit small --max-sites none -o json
expect_json "d['max_sites'] is None"
hc client edit small --max-sites 2 -q
expect_rc 0

TEST "site transfer gives a site and its deployments to another client, within that client's quota"
"$HOSTCTL_BIN" client add full --max-sites 0 -q >/dev/null
"$HOSTCTL_BIN" client add roomy -q >/dev/null
before=$(catalog_digest)
hc site transfer s2 --client full
expect_rc 4
expect_err_has "client 'full' already has 0 site(s), its maximum"
hc site transfer s2 --client nobody
expect_rc 3
hc site transfer s2
expect_rc 2
expect_catalog_unchanged "$before"
hc site transfer s2 --client roomy -o json
expect_rc 0
expect_json "d['client'] == 'roomy'"
expect_true test "$(catalog_sql "SELECT DISTINCT c.name FROM deployment d JOIN client c ON c.id = d.client_id JOIN site s ON s.id = d.site_id WHERE s.name = 's2' AND d.stage != 'removed'")" = roomy
hc site list --client small --field name
expect_out s1
hc audit list --object site:s2 -o json
expect_json "[e['action'] for e in d][-1] == 'site transfer s2 --client roomy'"

TEST "site delete removes its routes and its deployments on the hosts"
dirs=$(field deployment list --site alpha --field directory)
hc site delete alpha
expect_rc 2
hc site delete alpha --yes -o json
expect_rc 0
expect_json "len(d['removed_deployments']) == 3"
for dir in $dirs; do expect_true test ! -e "$dir"; done
expect_true test ! -e "$(router_file alpha.test)"
expect_http 404 alpha.test
hc route list --field source
expect_out "$(printf 'beta.test\nbeta.test/docs')"
hc doctor
expect_rc 0

TEST "a router that cannot be reached: route activate, launch, switch and delete exit 6, not 5"
"$HOSTCTL_BIN" host edit rig2 --role db --role web -q >/dev/null
"$HOSTCTL_BIN" site create far --service static-site --host rig2 -q >/dev/null
"$HOSTCTL_BIN" route add far.test --site far --primary --active-on-launch -q >/dev/null
"$HOSTCTL_BIN" route add www.far.test --site far -q >/dev/null
"$HOSTCTL_BIN" route activate www.far.test -q >/dev/null
clone=$("$HOSTCTL_BIN" site clone far -q -o id)
kill "${RIG_PID[1]}"
wait "${RIG_PID[1]}" 2>/dev/null
hc route activate far.test
expect_rc 6
expect_err_has "rig1"
hc site launch far
expect_rc 6
hc site switch far --to "$clone"
expect_rc 6
expect_err_has "switching back"
hc site delete far --yes
expect_rc 6
rig_start_sshd 1
hc site delete far --yes
expect_rc 0
"$HOSTCTL_BIN" host edit rig2 --role db -q >/dev/null
hc doctor
expect_rc 0

done_testing
