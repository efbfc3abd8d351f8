#!/usr/bin/env bash
# The data plane on a rig whose hosts share no files: each host logs in as its
# own Unix user with a 0700 base directory. rig1 is the router (its nginx runs
# as hostctl-rig1); rig2 is a web host whose own nginx (as hostctl-rig2, on
# rig2's address) serves each ready deployment from a backend block hostctl
# writes there. The router proxies to that block, so it needs none of rig2's files.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/../rig/rig.sh"
rig_skip_unless_ready
H=$HOSTCTL_BIN
rig_data_plane 2 || exit 1
$H createservice "$EXAMPLES/static-site/service.yaml" -q >/dev/null || exit 1

as_user() { setpriv --reuid="$1" --regid="$(id -g "$1")" --init-groups "${@:2}"; }
reload() { as_user "$1" "$RIG_NGINX" -p "$2/" -c "$2/nginx.conf" -s reload 2>/dev/null; sleep 0.3; }
backend_get() {  # deployment-id [path]: status of GET through rig2's backend block, body in $WORK/page
  curl -s -o "$WORK/page" -w '%{http_code}' -H "Host: d$1.backend.hostctl" \
    "http://${RIG_ADDR[2]}:${RIG_WEB_PORT[2]}${2:-/}"
}
route_syncs() { catalog_sql "SELECT count(*) FROM command WHERE action = 'route sync'"; }

TEST "host edit takes the web host settings, and refuses bad ones naming the field"
hc host show rig2 -o json
expect_json "d['web_listen'] == '${RIG_ADDR[2]}:${RIG_WEB_PORT[2]}' and d['web_dir'].endswith('/web/sites')"
digest=$(catalog_sql "SELECT web_listen, web_dir FROM host")
hc host edit rig2 --web-listen 8080
expect_rc 2
expect_err_has "web listen"
hc host edit rig1 --web-listen 127.0.0.11:9 --web-dir "$RIG_NGINX_DIR/sites"
expect_rc 2
expect_err_has "must differ from the router directory"
expect_true test "$(catalog_sql "SELECT web_listen, web_dir FROM host")" = "$digest"

TEST "a deployment on the web host gets a backend block there, served by the host's own nginx"
hc site create web1 --service static-site --host rig2 --param title=Isolated -o json
expect_rc 0
d1=$(catalog_sql "SELECT id FROM deployment WHERE site_id = (SELECT id FROM site WHERE name = 'web1')")
dir1=$(catalog_sql "SELECT directory FROM deployment WHERE id = $d1")
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
expect_true grep -q "proxy_set_header X-Forwarded-Host \$http_host;" "$conf"
grep -q "root \|alias " "$conf" && fail "the router's block serves files from a disk"

TEST "site switch checks the new copy through its backend before any router is touched"
hc site clone web1 --label v2 -o json
expect_rc 0
name2=$(printf '%s' "$OUT" | python3 -c 'import json,sys; print(json.load(sys.stdin)["name"])')
d2=$(catalog_sql "SELECT id FROM deployment WHERE name = '$name2'")
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
expect_true test "$(catalog_sql "SELECT active FROM deployment WHERE id = $d1")" = 1
expect_http 200 web1.test

TEST "host verify names the missing backend block; --repair writes it back; then the switch goes through"
hc host verify rig2 -o json
expect_rc 8
expect_json "any(x['kind'] == 'web-file-missing' and x['object'] == 'hostctl-backend-$d2.conf' for x in d[0]['drift'])"
hc host verify rig2 --repair
expect_rc 0
expect_true test -f "${RIG_WEB_DIR[2]}/sites/hostctl-backend-$d2.conf"
hc site switch web1 --to "$name2"
expect_rc 0
expect_true grep -q "proxy_set_header Host d$d2.backend.hostctl;" "$conf"
expect_http 200 web1.test

TEST "deleting a deployment removes its backend block"
hc site switch web1 --to "$(catalog_sql "SELECT name FROM deployment WHERE id = $d1")"
expect_rc 0
hc deployment delete "$name2" --yes
expect_rc 0
expect_true test ! -e "${RIG_WEB_DIR[2]}/sites/hostctl-backend-$d2.conf"
expect_true test "$(backend_get "$d2")" = 404
expect_http 200 web1.test
hc doctor -o json
expect_rc 0
expect_json "d['rules'] == 'ok' and d['unsynced_routers'] == []"

TEST "a redirect route answers 301 to the site's primary route, keeping the path and query"
hc route add www.web1.test --site web1 --redirect --primary
expect_rc 4
expect_err_has "cannot be primary"
hc route add www.web1.test --site web1 --redirect -o json
expect_rc 0
expect_json "d['redirect'] is True"
hc route activate www.web1.test
expect_rc 4
expect_err_has "which has none"
hc route add main.web1.test --site web1 --primary -q
hc route activate main.web1.test www.web1.test
expect_rc 0
headers=$(curl -s -o /dev/null -D - -H "Host: www.web1.test" "http://127.0.0.1:$RIG_NGINX_PORT/shop/item?id=7")
printf '%s' "$headers" | grep -q "^HTTP/1.1 301" || fail "no 301: $headers"
printf '%s' "$headers" | grep -qi "^Location: http://main.web1.test/shop/item?id=7" || fail "wrong Location: $headers"
expect_http 200 main.web1.test

TEST "site disable: every route of the site answers 503 with a disabled page; enable serves it again"
active_before=$(catalog_sql "SELECT name FROM deployment WHERE active = 1 AND site_id = (SELECT id FROM site WHERE name = 'web1')")
hc site disable web1 -o json
expect_rc 0
expect_json "d['enabled'] is False"
for domain in web1.test main.web1.test www.web1.test; do
  expect_http 503 "$domain"
  expect_true grep -q "This site is disabled" "$WORK/page"
done
expect_true test "$(catalog_sql "SELECT name FROM deployment WHERE active = 1 AND site_id = (SELECT id FROM site WHERE name = 'web1')")" = "$active_before"
hc site enable web1 -o json
expect_rc 0
expect_http 200 web1.test
expect_true grep -q Isolated "$WORK/page"
expect_http 200 main.web1.test

TEST "serve: and check: are validated with line:col, nothing stored"
mkdir -p "$WORK/bad"
for body in 'serve: {static: ../etc}' 'serve: {static: public, http: {socket: a.sock}}' 'serve: {http: {}}' \
    'check: {expect: 42}' 'check: {path: nope}'; do
  sed 's/^timeout: .*/timeout: 60s/' "$EXAMPLES/static-site/service.yaml" | sed "s/^name: static-site/name: bad-serve/" > "$WORK/bad/service.yaml"
  printf '%s\n' "$body" >> "$WORK/bad/service.yaml"
  cp "$EXAMPLES/static-site/render.sh" "$WORK/bad/"
  line=$(wc -l < "$WORK/bad/service.yaml")
  hc createservice "$WORK/bad/service.yaml"
  expect_rc 2
  expect_err_has "service.yaml:$line:"
done
hc listservices -o json
expect_json "'bad-serve' not in [x['name'] for x in d]"

# An application behind a Unix socket in its deployment, started by its install
# action; it answers with the Host it was given.
mkdir -p "$WORK/sock-app"
cat > "$WORK/sock-app/app.py" <<'PY'
import http.server, os, socketserver, sys
class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = f"App OK host={self.headers.get('Host')} proto={self.headers.get('X-Forwarded-Proto')}\n".encode()
        self.send_response(200); self.send_header("Content-Length", str(len(body))); self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args): pass
class Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    def get_request(self):
        request, _ = super().get_request()
        return request, ("unix", 0)
path = sys.argv[1]
if os.path.exists(path): os.unlink(path)
Server(path, Handler).serve_forever()
PY
cat > "$WORK/sock-app/service.yaml" <<'YAML'
name: sock-app
version: 1
serve: {http: {socket: run/app.sock}}
check: {path: /health, expect: 200, contains: "App OK"}
actions:
  install:
    - name: start
      script: start.sh
  clone:
    - name: start
      script: start.sh
  verify:
    - name: socket
      run: test -S "$HOSTCTL_ROOT/run/app.sock"
  remove:
    - name: stop
      run: kill "$(cat "$HOSTCTL_ROOT/run/app.pid")" 2>/dev/null; rm -rf "$HOSTCTL_ROOT"
YAML
cat > "$WORK/sock-app/start.sh" <<'SH'
set -e
mkdir -p "$HOSTCTL_ROOT/run"
cat > "$HOSTCTL_ROOT/app.py" <<'PY'
@APP@
PY
setsid nohup python3 "$HOSTCTL_ROOT/app.py" "$HOSTCTL_ROOT/run/app.sock" </dev/null >"$HOSTCTL_ROOT/run/app.log" 2>&1 &
echo $! > "$HOSTCTL_ROOT/run/app.pid"
for i in $(seq 1 600); do [ -S "$HOSTCTL_ROOT/run/app.sock" ] && exit 0; sleep 0.05; done
echo "the application did not start" >&2; exit 1
SH
python3 - "$WORK/sock-app/start.sh" "$WORK/sock-app/app.py" <<'PY'
import sys
start, app = sys.argv[1:3]
text = open(start).read().replace("@APP@", open(app).read().rstrip("\n"))
open(start, "w").write(text)
PY
rm "$WORK/sock-app/app.py"

TEST "serve: http proxies a site to its application's socket, which sees the public name"
hc createservice "$WORK/sock-app/service.yaml" -o json
expect_rc 0
expect_json "d['serve'] == {'http': {'socket': 'run/app.sock'}} and d['check']['contains'] == 'App OK'"
hc site create app1 --service sock-app --host rig2 -q
expect_rc 0
hc route add app1.test --site app1 -q
hc route activate app1.test
expect_rc 0
expect_http 200 app1.test
expect_true grep -q "App OK host=app1.test proto=http" "$WORK/page"
a1=$(catalog_sql "SELECT id FROM deployment WHERE site_id = (SELECT id FROM site WHERE name = 'app1')")
expect_true grep -q "proxy_pass http://unix:.*/run/app.sock:;" "${RIG_WEB_DIR[2]}/sites/hostctl-backend-$a1.conf"

TEST "the plan's check gates a switch: a copy whose application is down is refused, the site stays up"
hc site clone app1 --label v2 -o json
expect_rc 0
a2=$(printf '%s' "$OUT" | python3 -c 'import json,sys; print(json.load(sys.stdin)["name"])')
a2dir=$(catalog_sql "SELECT directory FROM deployment WHERE name = '$a2'")
kill "$(cat "$a2dir/run/app.pid")"
# verify still passes (the socket file is there), the check does not.
syncs=$(route_syncs)
hc site switch app1 --to "$a2"
expect_rc 5
expect_err_has "does not answer through its backend block: HTTP 502"
expect_true test "$(route_syncs)" = "$syncs"
expect_http 200 app1.test
expect_true grep -q "App OK host=app1.test" "$WORK/page"

TEST "tasks get the site's public addresses: HOSTCTL_PRIMARY_URL and HOSTCTL_ROUTES"
cat > "$WORK/env-probe.yaml" <<'YAML'
name: env-probe
version: 1
actions:
  install:
    - name: page
      run: mkdir -p "$HOSTCTL_ROOT/public" && echo probe > "$HOSTCTL_ROOT/public/index.html"
  verify:
    - name: addresses
      run: |
        echo "primary=$HOSTCTL_PRIMARY_URL"
        printf '%s' "$HOSTCTL_ROUTES" | sed 's/^/route=/'
YAML
hc createservice "$WORK/env-probe.yaml" -q
expect_rc 0
hc site create envp --service env-probe --host rig2 -q
expect_rc 0
hc route add envp.test --site envp --primary -q
hc route add www.envp.test/shop --site envp -q
d=$("$H" site show envp --field active_deployment)
hc deployment verify "$d" -o json
expect_rc 0
cid=$(catalog_sql "SELECT max(id) FROM command WHERE action = 'verify'")
hc task log "$cid"
expect_out_has "primary=http://envp.test:$RIG_NGINX_PORT"
expect_out_has "route=http://envp.test:$RIG_NGINX_PORT"
expect_out_has "route=http://www.envp.test:$RIG_NGINX_PORT/shop"

TEST "a reserve copy is ready only once its plan's check answers through its backend block"
cp -r "$EXAMPLES/static-site" "$WORK/unchecked"
sed -i -e 's/^name: .*/name: unchecked/' -e 's/^reserve: .*/reserve: {size: 1, minimum: 1}/' "$WORK/unchecked/service.yaml"
printf 'check: {path: /, expect: 200, contains: "a text no page has"}\n' >> "$WORK/unchecked/service.yaml"
hc createservice "$WORK/unchecked/service.yaml" -q
expect_rc 0
hc reserve refill unchecked
expect_rc 5
expect_err_has "failed its check and is marked FAILED"
hc reserve status unchecked -o json
expect_json "d[0]['ready'] == 0 and len(d[0]['failed']) == 1"
# Every way a copy is made runs the same after-run step: deployservice --reserve too.
hc deployservice unchecked --reserve --host rig2
expect_rc 5
expect_err_has "failed its check and is marked FAILED"
hc reserve status unchecked -o json
expect_json "d[0]['ready'] == 0 and len(d[0]['failed']) == 2"
hc reserve prune unchecked -q
expect_rc 0

TEST "site create checks a ready copy on a web host through its backend block: a broken one is not handed out"
cp -r "$EXAMPLES/static-site" "$WORK/handout"
sed -i -e 's/^name: .*/name: handout/' -e 's/^reserve: .*/reserve: {size: 1, minimum: 1}/' "$WORK/handout/service.yaml"
hc createservice "$WORK/handout/service.yaml" -q
hc reserve refill handout -q
expect_rc 0
ready=$(catalog_sql "SELECT name FROM deployment WHERE reserve = 1 AND status = 5 AND service_id = (SELECT id FROM service WHERE name = 'handout')")
rm -f "$(catalog_sql "SELECT directory FROM deployment WHERE name = '$ready'")/public/index.html"
hc site create handed --service handout -o json
expect_rc 0
expect_err_has "ready copy '$ready' failed its check at handout"
expect_json "not d['from_reserve'] and d['deployment'] != '$ready'"

done_testing
