#!/usr/bin/env bash
# The data plane on a rig whose hosts share no files: each host logs in as its
# own Unix user with a 0700 base directory. rig1 is the router (its nginx runs
# as hostctl-rig1); rig2 is a web host whose own nginx (as hostctl-rig2, on
# rig2's address) serves each ready deployment from a backend block hostctl
# writes there. The router proxies to that block, so it needs none of rig2's files.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/../rig/rig.sh"
RIG_PER_USER=1
rig_skip_unless_ready
H=$HOSTCTL_BIN
$H init -q >/dev/null
rig_start 2 || exit 1
rig_nginx_start || exit 1
rig_register || exit 1
rig_make_router 1
rig_web_start 2 || exit 1
rig_make_web 2 || exit 1
$H createservice "$EXAMPLES/static-site/service.yaml" -q >/dev/null || exit 1

as_user() { setpriv --reuid="$1" --regid="$(id -g "$1")" --init-groups "${@:2}"; }
reload() { as_user "$1" "$RIG_NGINX" -p "$2/" -c "$2/nginx.conf" -s reload 2>/dev/null; sleep 0.3; }
backend_get() {  # deployment-id [path]: status of GET through rig2's backend block, body in $WORK/page
  curl -s -o "$WORK/page" -w '%{http_code}' -H "Host: d$1.backend.hostctl" \
    "http://${RIG_ADDR[2]}:${RIG_WEB_PORT[2]}${2:-/}"
}
route_syncs() { sqlite3 "$HOSTCTL_CATALOG" "SELECT count(*) FROM command WHERE action = 'route sync'"; }

TEST "host edit takes the web host settings, and refuses bad ones naming the field"
hc host show rig2 -o json
expect_json "d['web_listen'] == '${RIG_ADDR[2]}:${RIG_WEB_PORT[2]}' and d['web_dir'].endswith('/web/sites')"
digest=$(sqlite3 "$HOSTCTL_CATALOG" "SELECT web_listen, web_dir FROM host")
hc host edit rig2 --web-listen 8080
expect_rc 2
expect_err_has "web listen"
hc host edit rig1 --web-listen 127.0.0.11:9 --web-dir "$RIG_NGINX_DIR/sites"
expect_rc 2
expect_err_has "must differ from the router directory"
expect_true test "$(sqlite3 "$HOSTCTL_CATALOG" "SELECT web_listen, web_dir FROM host")" = "$digest"

TEST "a deployment on the web host gets a backend block there, served by the host's own nginx"
hc site create web1 --service static-site --host rig2 --param title=Isolated -o json
expect_rc 0
d1=$(sqlite3 "$HOSTCTL_CATALOG" "SELECT id FROM deployment WHERE site_id = (SELECT id FROM site WHERE name = 'web1')")
dir1=$(sqlite3 "$HOSTCTL_CATALOG" "SELECT directory FROM deployment WHERE id = $d1")
expect_true test -f "${RIG_WEB_DIR[2]}/sites/hostctl-backend-$d1.conf"
expect_true grep -q "root $dir1/public;" "${RIG_WEB_DIR[2]}/sites/hostctl-backend-$d1.conf"
expect_true test "$(backend_get "$d1")" = 200
expect_true grep -q Isolated "$WORK/page"

TEST "the router's user cannot read the web host's files, through nginx or otherwise"
expect_true test "$(stat -c %a "${RIG_BASE[2]}")" = 700
as_user hostctl-rig1 cat "$dir1/public/index.html" >/dev/null 2>&1 && fail "hostctl-rig1 read rig2's page"
printf 'server { listen 127.0.0.1:%s; server_name peek.test; root %s/public; }\n' "$RIG_NGINX_PORT" "$dir1" \
  > "$RIG_NGINX_DIR/sites/peek.conf"
reload hostctl-rig1 "$RIG_NGINX_DIR"
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Host: peek.test" "http://127.0.0.1:$RIG_NGINX_PORT/")
case $code in 403|404) ;; *) fail "a root on rig2's disk answered $code through the router" ;; esac
rm -f "$RIG_NGINX_DIR/sites/peek.conf"
reload hostctl-rig1 "$RIG_NGINX_DIR"

TEST "a route to a site on the web host is served through the router, which proxies to the backend"
hc route add web1.test --site web1 -q
expect_rc 0
hc route activate web1.test
expect_rc 0
expect_http 200 web1.test
expect_true grep -q Isolated "$WORK/page"
conf="$RIG_NGINX_DIR/sites/hostctl-web1.test.conf"
expect_true grep -q "proxy_pass http://${RIG_ADDR[2]}:${RIG_WEB_PORT[2]};" "$conf"
expect_true grep -q "proxy_set_header Host d$d1.backend.hostctl;" "$conf"
expect_true grep -q "proxy_set_header X-Forwarded-Host \$host;" "$conf"
grep -q "root \|alias " "$conf" && fail "the router's block serves files from a disk"

TEST "site switch checks the new copy through its backend before any router is touched"
hc site clone web1 --label v2 -o json
expect_rc 0
name2=$(printf '%s' "$OUT" | python3 -c 'import json,sys; print(json.load(sys.stdin)["name"])')
d2=$(sqlite3 "$HOSTCTL_CATALOG" "SELECT id FROM deployment WHERE name = '$name2'")
expect_true test "$(backend_get "$d2")" = 200
# The web host loses the new copy's block (an operator's mistake, say).
rm -f "${RIG_WEB_DIR[2]}/sites/hostctl-backend-$d2.conf"
reload hostctl-rig2 "${RIG_WEB_DIR[2]}"
syncs=$(route_syncs)
hc site switch web1 --to "$name2"
expect_rc 5
expect_err_has "does not answer through its backend block"
expect_err_has "the site was not switched"
expect_true test "$(route_syncs)" = "$syncs"
expect_true test "$(sqlite3 "$HOSTCTL_CATALOG" "SELECT active FROM deployment WHERE id = $d1")" = 1
expect_http 200 web1.test

TEST "host verify names the missing backend block; --repair writes it back; then the switch goes through"
hc host verify rig2 -o json
expect_json "any(x['kind'] == 'web-file-missing' and x['object'] == 'hostctl-backend-$d2.conf' for x in d[0]['drift'])"
hc host verify rig2 --repair
expect_rc 0
expect_true test -f "${RIG_WEB_DIR[2]}/sites/hostctl-backend-$d2.conf"
hc site switch web1 --to "$name2"
expect_rc 0
expect_true grep -q "proxy_set_header Host d$d2.backend.hostctl;" "$conf"
expect_http 200 web1.test

TEST "deleting a deployment removes its backend block"
hc site switch web1 --to "$(sqlite3 "$HOSTCTL_CATALOG" "SELECT name FROM deployment WHERE id = $d1")"
expect_rc 0
hc deployment delete "$name2" --yes
expect_rc 0
expect_true test ! -e "${RIG_WEB_DIR[2]}/sites/hostctl-backend-$d2.conf"
expect_true test "$(backend_get "$d2")" = 404
expect_http 200 web1.test
hc doctor -o json
expect_rc 0
expect_json "d['rules'] == 'ok' and d['unsynced_routers'] == []"

done_testing
