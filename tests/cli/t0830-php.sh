#!/usr/bin/env bash
# PHP deployments (serve: {php: ...}) on a web host with its own nginx and
# php-fpm, both run as that host's user: hostctl writes one php-fpm pool and
# one backend block per deployment, the router proxies to it. Files outside
# the plan's root (the configuration, with its secret) are never served, and
# PHP source is never sent as text.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/../rig/rig.sh"
rig_skip_unless_ready
H=$HOSTCTL_BIN
rig_data_plane 2 || exit 1
rig_php_start 2 || exit 1
$H createservice "$EXAMPLES/php-app/service.yaml" -q >/dev/null || exit 1
POOLS="${RIG_PHP_DIR[2]}/pool.d"
get() {  # DOMAIN PATH: status through the router, body in $WORK/page
  curl -s -o "$WORK/page" -w '%{http_code}' -H "Host: $1" "http://127.0.0.1:$RIG_NGINX_PORT$2"
}

TEST "the plan's serve: php is checked with line:col"
printf 'name: bad-php\nversion: 1\nserve: {php: {root: public, front_controller: ../index.php}}\n' > "$WORK/bad.yaml"
hc createservice "$WORK/bad.yaml"
expect_rc 2
expect_err_has "bad.yaml:3:"
expect_err_has "serve.php.front_controller"
printf 'name: bad-php\nversion: 1\nserve: {php: {root: public}, static: public}\n' > "$WORK/bad.yaml"
hc createservice "$WORK/bad.yaml"
expect_rc 2
expect_err_has "exactly one of 'static', 'php' and 'http'"

TEST "host edit refuses a php-fpm setting it cannot use, naming it, changing nothing"
digest=$(catalog_digest)
hc host edit rig2 --php-pool-dir pool.d
expect_rc 2
expect_err_has "invalid php pool directory 'pool.d': must be an absolute path"
hc host edit rig2 --php-pool-dir "${RIG_WEB_DIR[2]}/sites"
expect_rc 2
expect_err_has "must differ from the web and router directories"
hc host edit rig2 --php-fpm-conf php-fpm.conf
expect_rc 2
expect_err_has "php-fpm configuration"
expect_catalog_unchanged "$digest"
hc host show rig2 -o json
expect_json "d['php_pool_dir'] == '$POOLS' and d['php_user'] == '${RIG_HOST_USER[2]}'"

TEST "a PHP service is never placed on a host without its own web server (the router would send PHP as text)"
$H host edit rig1 --web-listen '' -q >/dev/null  # rig1 is only the router here
digest=$(catalog_digest)
hc site create raw --service php-app --host rig1
expect_rc 4
expect_err_has "host 'rig1' runs no managed web server"
expect_catalog_unchanged "$digest"

TEST "a PHP site gets its own pool and backend block on the web host, and is served through the router"
hc site create blog --service php-app --host rig2 --param title=Blog --param app_key=k3y-never-shown -q
expect_rc 0
d=$(catalog_sql "SELECT id FROM deployment WHERE site_id = (SELECT id FROM site WHERE name = 'blog')")
expect_true test -f "$POOLS/hostctl-$d.conf"
expect_true grep -q "listen = $POOLS/hostctl-$d.sock" "$POOLS/hostctl-$d.conf"
expect_true test -S "$POOLS/hostctl-$d.sock"
expect_true grep -q "fastcgi_pass unix:$POOLS/hostctl-$d.sock;" "${RIG_WEB_DIR[2]}/sites/hostctl-backend-$d.conf"
hc route add blog.test --site blog -q
hc route activate blog.test
expect_rc 0
expect_true test "$(get blog.test /)" = 200
expect_true grep -q "<h1>Blog</h1>" "$WORK/page"
expect_true grep -q "host: blog.test" "$WORK/page"  # the application sees the public name
# Its pool runs PHP as the web host's user, not the router's.
expect_true pgrep -u "${RIG_HOST_USER[2]}" -f "pool d$d" >/dev/null

TEST "every path goes to the front controller; PHP source and files outside the root are never sent"
expect_true test "$(get blog.test /some/page?x=1)" = 200
expect_true grep -q "path: /some/page" "$WORK/page"
for path in /index.php /helpers.inc /config.php /../config.php /.hostctl-manifest.json /%2e%2e/config.php; do
  code=$(get blog.test "$path")
  grep -q "<?php" "$WORK/page" && fail "$path sent PHP source as text"
  grep -q "k3y-never-shown" "$WORK/page" && fail "$path sent the app key"
  case $path in
    /index.php) [ "$code" = 200 ] || fail "$path answered $code" ;;
    /helpers.inc) [ "$code" = 404 ] || fail "$path answered $code, expected 404" ;;
  esac
done
hc task log 1
printf '%s' "$OUT" | grep -q "k3y-never-shown" && fail "the app key reached a log"

TEST "a clone gets a pool of its own; switching to it is checked through its backend (the plan's /health)"
hc site clone blog --label v2 -o json
expect_rc 0
d2=$(catalog_sql "SELECT id FROM deployment WHERE label = 'v2'")
expect_true test -S "$POOLS/hostctl-$d2.sock"
hc site switch blog --to "$(catalog_sql "SELECT name FROM deployment WHERE id = $d2")" -q
expect_rc 0
expect_true test "$(get blog.test /)" = 200
expect_true grep -q "deployment: $(catalog_sql "SELECT name FROM deployment WHERE id = $d2")" "$WORK/page"

TEST "a pool php-fpm refuses is put back, the switch refused; host verify --repair restores a lost pool"
hc site clone blog --label v3 -o json
expect_rc 0
d3=$(catalog_sql "SELECT id FROM deployment WHERE label = 'v3'")
rm -f "$POOLS/hostctl-$d3.conf"
as_user() { setpriv --reuid="$1" --regid="$(id -g "$1")" --init-groups "${@:2}"; }
as_user "${RIG_HOST_USER[2]}" kill -USR2 "$(cat "${RIG_PHP_DIR[2]}/php-fpm.pid")"
wait_until 60 test ! -S "$POOLS/hostctl-$d3.sock"
hc site switch blog --to "$(catalog_sql "SELECT name FROM deployment WHERE id = $d3")"
expect_rc 5
expect_err_has "was not switched"
expect_true test "$(get blog.test /)" = 200
hc host verify rig2 -o json
expect_json "[(x['kind'], x['object']) for x in d[0]['drift']] == [('php-file-missing', 'hostctl-$d3.conf')]"
hc host verify rig2 --repair -q
expect_rc 0
expect_true test -S "$POOLS/hostctl-$d3.sock"
printf '[broken\n' > "$POOLS/zz-broken.conf"
hc site clone blog --label v4
expect_rc 5
expect_err_has "php-fpm -t rejected the new configuration"
rm -f "$POOLS/zz-broken.conf"
expect_true test "$(get blog.test /)" = 200

TEST "removing a PHP deployment removes its pool"
hc deployment delete "$(catalog_sql "SELECT name FROM deployment WHERE id = $d3")" --yes -q
expect_rc 0
expect_true test ! -e "$POOLS/hostctl-$d3.conf"
expect_true test "$(get blog.test /)" = 200

done_testing
