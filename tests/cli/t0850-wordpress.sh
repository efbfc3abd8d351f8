#!/usr/bin/env bash
# WordPress from Debian's package, hosted end to end: php-fpm on the web
# hosts (their own users), MariaDB on a db host, HTTPS from pebble through
# the router. A reserve filled from a template site; a site from it launched
# over HTTPS; a post, a clone with its own database, a preview route, a
# switch, a backup, damage and restore, a migrate to the other web host and
# an upgrade bumping a plugin; no request fails meanwhile; delete drops the
# database. No secret reaches a log or a command line.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/../rig/rig.sh"
rig_skip_unless_ready
[ -d /usr/share/wordpress/wp-includes ] || { echo "skip: wordpress is not installed (scripts/setup.sh installs it)"; exit 77; }
H=$HOSTCTL_BIN
rig_data_plane 3 || exit 1
rig_php_start 1 || exit 1
rig_php_start 2 || exit 1
rig_mariadb_start 3 || exit 1
rig_acme_start || exit 1
HTTPS_PORT=$(rig_free_port 127.0.0.1)
$H host edit rig1 --https-listen "127.0.0.1:$HTTPS_PORT" -q >/dev/null || exit 1
mkdir -p "$WORK/wp"
cp "$EXAMPLES/wordpress/wp.sh" "$WORK/wp/"
sed 's/^reserve: .*/reserve: {size: 1, minimum: 1, from_site: template}/' "$EXAMPLES/wordpress/service.yaml" > "$WORK/wp/service.yaml"
$H createservice "$WORK/wp/service.yaml" -q >/dev/null || exit 1

https_get() {  # DOMAIN [PATH]: status over HTTPS through the router, body in $WORK/page
  curl -s -o "$WORK/page" -w '%{http_code}' --cacert "$RIG_ACME_BUNDLE" \
    --resolve "$1:$HTTPS_PORT:127.0.0.1" "https://$1:$HTTPS_PORT${2:-/}"
}
db_of() { catalog_sql "SELECT d.db_name FROM deployment d JOIN site s ON s.id = d.site_id WHERE s.name = '$1' AND d.active = 1"; }
active_of() { catalog_sql "SELECT d.name FROM deployment d JOIN site s ON s.id = d.site_id WHERE s.name = '$1' AND d.active = 1"; }
posts() { rig_sql 3 -e "SELECT count(*) FROM $1.wp_posts WHERE post_type = 'post' AND post_status = 'publish'"; }
logs_in() {  # DB PASSWORD: WordPress's own check of the password of 'admin'
  PW=$2 HASH=$(rig_sql 3 -e "SELECT user_pass FROM $1.wp_users WHERE user_login = 'admin'") php -r '
    require "/usr/share/wordpress/wp-includes/class-phpass.php";
    exit((new PasswordHash(8, true))->CheckPassword(getenv("PW"), getenv("HASH")) ? 0 : 1);'
}
publish() {  # DB TITLE: a published post, as WordPress stores one
  rig_sql 3 -e "INSERT INTO $1.wp_posts (post_author, post_date, post_date_gmt, post_content, post_title, post_excerpt,
    post_status, post_name, to_ping, pinged, post_modified, post_modified_gmt, post_content_filtered, post_type)
    VALUES (1, now(), utc_timestamp(), 'Body of $2', '$2', '', 'publish', lower(replace('$2', ' ', '-')), '', '',
    now(), utc_timestamp(), '', 'post')"
}

TEST "a template site, and the reserve filled with its clones (its posts and database included)"
hc site create template --service wordpress --host rig2 --param title=Template -q
expect_rc 0
t=$(db_of template)
for i in 1 2 3 4 5; do publish "$t" "Template post $i"; done
hc reserve refill wordpress -o json
expect_rc 0
copy=$(catalog_sql "SELECT db_name FROM deployment WHERE reserve = 1 AND stage = 'provision' AND status = 5")
expect_true test -n "$copy"
expect_true test "$(posts "$copy")" = 6  # WordPress's own Hello world, and the template's five

TEST "site create takes the ready copy; launched over HTTPS, WordPress answers through the router"
hc site create shop --service wordpress --param title=Shop -o json
expect_rc 0
expect_json "d['deployments'][0]['database']['name'] == '$copy'"
# The site's admin password, not the template's, logs in to its copy.
expect_true logs_in "$copy" "$("$H" deployment secret "$(active_of shop)" admin_password --yes)"
logs_in "$copy" "$("$H" deployment secret "$(active_of template)" admin_password --yes)" && fail "the template's admin password logs in to the site's copy"
hc route add shop.test --site shop --primary --active-on-launch --tls acme -q
expect_rc 0
hc site launch shop -q
expect_rc 0
expect_true test "$(https_get shop.test /)" = 200
expect_true grep -q "<title>Shop" "$WORK/page"
expect_true grep -q "Template post 5" "$WORK/page"
expect_true test "$(rig_sql 3 -e "SELECT option_value FROM $copy.wp_options WHERE option_name = 'home'")" = "https://shop.test:$HTTPS_PORT"
hc deployment verify "$(active_of shop)" -o json
expect_rc 0
hc deployment show "$(active_of shop)" -o json
expect_json "d['packages']['wordpress'].startswith('6.') and d['packages']['plugin-hostctl-hello'] == '1' and 'theme-twentytwentythree' in d['packages']"

TEST "a post published; a clone gets its own database holding it; a preview route serves the clone"
publish "$(db_of shop)" "Fresh news"
expect_true test "$(https_get shop.test /)" = 200
expect_true grep -q "Fresh news" "$WORK/page"
hc site clone shop --label test --preview test.shop.test -q
expect_rc 0
c=$(catalog_sql "SELECT db_name FROM deployment WHERE label = 'test' AND stage != 'removed'")
expect_true test -n "$c" -a "$c" != "$(db_of shop)"
expect_true test "$(rig_sql 3 -e "SELECT count(*) FROM $c.wp_posts WHERE post_title = 'Fresh news'")" = 1
expect_true test "$(rig_sql 3 -e "SELECT option_value FROM $c.wp_options WHERE option_name = 'home'")" = "http://test.shop.test:$RIG_NGINX_PORT"
got=$(curl -s -o "$WORK/page" -w '%{http_code}' -H "Host: test.shop.test:$RIG_NGINX_PORT" "http://127.0.0.1:$RIG_NGINX_PORT/")
expect_true test "$got" = 200
expect_true grep -q "Fresh news" "$WORK/page"

TEST "switch to the clone, backup, damage and restore, with no request failing"
clone=$(catalog_sql "SELECT name FROM deployment WHERE label = 'test' AND stage != 'removed'")
$H route delete test.shop.test --yes -q >/dev/null
PROBE_CA=$RIG_ACME_BUNDLE probe_during "$HTTPS_PORT" shop.test "Fresh news" site switch shop --to "$clone"
expect_true test "$(db_of shop)" = "$c"
hc site backup shop -q
expect_rc 0
rig_sql 3 -e "DELETE FROM $c.wp_posts WHERE post_type = 'post'"
expect_true test "$(posts "$c")" = 0
hc site restore shop --backup "$(catalog_sql "SELECT id FROM backup ORDER BY id DESC LIMIT 1")" --yes -q
expect_rc 0
expect_true test "$(posts "$c")" = 7
expect_true test "$(https_get shop.test /)" = 200
expect_true grep -q "Fresh news" "$WORK/page"

TEST "migrate to the other web host: no request fails, the new copy's own database holds every post"
PROBE_CA=$RIG_ACME_BUNDLE probe_during "$HTTPS_PORT" shop.test "Fresh news" site migrate shop --to-host rig1
m=$(db_of shop)
expect_true test "$m" != "$c"
expect_true test "$(posts "$m")" = 7
expect_true test "$(catalog_sql "SELECT h.name FROM deployment d JOIN host h ON h.id = d.host_id WHERE d.db_name = '$m'")" = rig1

TEST "upgrade to version 2: its upgrade action bumps the plugin; no request fails; switch back is the rollback"
sed 's/^version: 1/version: 2/' "$WORK/wp/service.yaml" > "$WORK/wp/v2.yaml"
printf '  upgrade:\n    - name: schema\n      script: wp.sh\n' >> "$WORK/wp/v2.yaml"
hc createservice "$WORK/wp/v2.yaml" --replace -q
expect_rc 0
before=$(active_of shop)
PROBE_CA=$RIG_ACME_BUNDLE probe_during "$HTTPS_PORT" shop.test "Fresh news" site upgrade shop
hc deployment verify "$(active_of shop)" -q
hc deployment show "$(active_of shop)" -o json
expect_json "d['service_version'] == 2 and d['packages']['plugin-hostctl-hello'] == '2'"
expect_true test "$(https_get shop.test /)" = 200
expect_true grep -q "hostctl-hello 2" "$WORK/page"
hc site switch shop --to "$before" -q
expect_rc 0
expect_true test "$(https_get shop.test /)" = 200
expect_true grep -q "hostctl-hello 1" "$WORK/page"

TEST "no password in any log, in the catalog in clear, or in a command line"
admin=$("$H" deployment secret "$(active_of shop)" admin_password --yes)
dbpw=$("$H" deployment secret "$(active_of shop)" db_password --yes)
expect_true test ${#admin} = 24 -a ${#dbpw} = 24
for cmd in $(catalog_sql "SELECT id FROM command"); do
  "$H" task log "$cmd" 2>&1 | grep -q -e "$admin" -e "$dbpw" && fail "command $cmd's log holds a password"
done
catalog_files_hold "$admin" "$dbpw" && fail "a password is in the catalog in clear"
catalog_sql "SELECT argv FROM audit" | grep -q -e "$admin" -e "$dbpw" && fail "a password is in the audit trail"

TEST "delete: every database of the site is gone"
hc site delete shop --yes -q
expect_rc 0
hc site delete template --yes -q
expect_rc 0
hc reserve prune wordpress -q
expect_true test -z "$(rig_sql 3 -e "SHOW DATABASES LIKE 'hc\\_%'")"

done_testing
