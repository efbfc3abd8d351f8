#!/usr/bin/env bash
# --dry-run on every mutating command: it prints what it would change in the
# catalog and run on which hosts, and changes nothing: the catalog's digest,
# the hosts' files and the router's answers are the same after it.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/../rig/rig.sh"
rig_suite 2
H=$HOSTCTL_BIN
$H site create shop --service static-site --host rig1 -q >/dev/null || exit 1
$H route add shop.test --site shop --primary --active-on-launch -q >/dev/null || exit 1
$H route add old.shop.test --site shop --active-on-launch -q >/dev/null || exit 1
$H site launch shop -q >/dev/null || exit 1
$H site backup shop -q >/dev/null || exit 1
$H route add www.shop.test --site shop -q >/dev/null || exit 1
clone=$($H site clone shop --label v2 -o id) || exit 1
backup=$(catalog_sql "SELECT max(id) FROM backup")

# Everything a dry run must leave as it was: the catalog, the files of both
# hosts and of the router, and the site's answer through the router.
state() {
  printf '%s\n' "$(catalog_digest)"
  find "${RIG_BASE[1]}" "${RIG_BASE[2]}" "$RIG_NGINX_DIR/sites" -printf '%p %s %m\n' 2>/dev/null | sort | sha256sum
  curl -s -H "Host: shop.test" "http://127.0.0.1:$RIG_NGINX_PORT/" | sha256sum
}

dry() {  # COMMAND...: runs it with --dry-run; exit 0, a plan on stderr, nothing changed
  local before
  before=$(state)
  hc "$@" --dry-run
  expect_rc 0
  expect_err_has "dry run: nothing was changed"
  [ "$(state)" = "$before" ] || fail "hostctl $* --dry-run changed something"
}

TEST "site create, clone, switch, migrate, restore and delete: a plan, nothing changed"
dry site create other --service static-site
expect_err_has "dry run: would run on"
expect_err_has "dry run: site create other --service static-site"
dry site clone shop --label v3
expect_err_has "would run on rig1: clone/"
dry site switch shop --to "$clone"
dry site migrate shop --to-host rig2
expect_err_has "would run on rig2:"
dry site restore shop --backup "$backup"
expect_err_has "would run on rig1: restore/"
dry site delete shop
expect_err_has "dry run: site delete shop"

TEST "deployment delete, backup delete, route activate and deactivate: a plan, nothing changed"
dry deployment delete "$clone"
dry backup delete "$backup"
dry route activate www.shop.test
expect_err_has "would run on rig1: sync"
dry route deactivate old.shop.test
dry site disable shop
dry site backup shop
dry deployservice static-site --reserve
dry reserve refill static-site -o table  # (a format given: not silent as for cron)

TEST "a dry run of a plan with secrets makes no key file"
"$HOSTCTL_BIN" createservice "$EXAMPLES/notes-sqlite/service.yaml" -q >/dev/null
expect_true test ! -e "$HOSTCTL_CATALOG.key"
dry site create notes --service notes-sqlite
expect_true test ! -e "$HOSTCTL_CATALOG.key"

TEST "the real commands still work after the dry runs"
hc site switch shop --to "$clone" -q
expect_rc 0
hc route activate www.shop.test -q
expect_rc 0
expect_true test "$(curl -s -o /dev/null -w '%{http_code}' -H "Host: www.shop.test" "http://127.0.0.1:$RIG_NGINX_PORT/")" = 200

done_testing
