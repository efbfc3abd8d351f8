#!/usr/bin/env bash
# Installs what is missing, builds, and runs the main job end to end: it starts
# sandbox hosts (real sshd on 127.0.0.x, a real nginx router and the web
# host's own nginx, all in a temporary directory; as root each host is its own
# Unix user, so they share no files), registers a service, keeps a ready copy
# in the reserve on the web host, creates a site from it, launches its route
# over HTTPS (a certificate from a real ACME server on loopback, pebble,
# obtained by lego on the router) and fetches the page through the router,
# printing each hostctl command it runs. Everything is removed at the end.
# With --postgres the catalog is a database on a real PostgreSQL server started
# on loopback (tests/rig/postgres.sh), shared by two control nodes, node-a and
# node-b (HOSTCTL_NODE), each doing part of the job.
# With HOSTCTL_BIN set (tests/cli/t0610-demo.sh), that binary is used as it is.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
case "${1:-}" in
  "") postgres=0 ;;
  --postgres) postgres=1 ;;
  *) echo "usage: $0 [--postgres]" >&2; exit 2 ;;
esac
if [ -z "${HOSTCTL_BIN:-}" ]; then
  . "$ROOT/scripts/setup.sh"
  export HOSTCTL_BIN="$BUILD_DIR/hostctl"
fi
WORK=$(mktemp -d "${TMPDIR:-/tmp}/hostctl-demo.XXXXXX")
export HOSTCTL_CATALOG="$WORK/catalog.db"
. "$ROOT/tests/rig/rig.sh"
. "$ROOT/tests/rig/postgres.sh"

# step ARGS: runs hostctl, printing the command line (with the node, on two nodes).
step() {
  printf '\n$ %shostctl %s\n' "${HOSTCTL_NODE:+HOSTCTL_NODE=$HOSTCTL_NODE }" "$*" >&2
  "$HOSTCTL_BIN" "$@"
}
# on NODE: the steps that follow run as control node NODE (with --postgres).
on() { [ "$postgres" = 0 ] || export HOSTCTL_NODE=$1; }

echo "demo: starting two sandbox hosts (sshd), an nginx router, the web host's nginx and an ACME server on loopback" >&2
[ "$(id -u)" = 0 ] && RIG_PER_USER=1
rig_start 2 >/dev/null
rig_nginx_start
rig_web_start 2
rig_acme_start  # exports HOSTCTL_ACME_DIRECTORY, HOSTCTL_ACME_CA_BUNDLE, HOSTCTL_ACME_EMAIL
if [ "$postgres" = 1 ]; then
  echo "demo: starting a PostgreSQL server on loopback for the catalog, shared by control nodes node-a and node-b" >&2
  pg_start
  trap 'pg_stop; rig_stop' EXIT
  HOSTCTL_CATALOG=$(pg_new_database hosting)
  echo "demo: HOSTCTL_CATALOG=$HOSTCTL_CATALOG" >&2
fi
on node-a
HTTPS_PORT=$(rig_free_port 127.0.0.1)
step init
step host add edge --address "${RIG_ADDR[1]}" --port "${RIG_PORT[1]}" --user "${RIG_HOST_USER[1]}" --identity "$RIG_KEY" \
  --base-dir "${RIG_BASE[1]}" --role router --router-dir "$RIG_NGINX_DIR/sites" \
  --nginx-conf "$RIG_NGINX_DIR/nginx.conf" --http-listen "127.0.0.1:$RIG_NGINX_PORT" --https-listen "127.0.0.1:$HTTPS_PORT" -q
step host add web1 --address "${RIG_ADDR[2]}" --port "${RIG_PORT[2]}" --user "${RIG_HOST_USER[2]}" --identity "$RIG_KEY" \
  --base-dir "${RIG_BASE[2]}" --role web --web-listen "${RIG_ADDR[2]}:${RIG_WEB_PORT[2]}" \
  --web-dir "${RIG_WEB_DIR[2]}/sites" --web-conf "${RIG_WEB_DIR[2]}/nginx.conf" -q
step host verify
step client add acme --email ops@acme.test --max-sites 10 -q
step createservice "$ROOT/schemas/examples/static-site/service.yaml" -q
step deployservice static-site --reserve -q -o id
on node-b
step site create shop --service static-site --client acme --param "title=Acme Shop"
step route add shop.example --site shop --primary --active-on-launch --tls acme -q
step site launch shop -q
step route show shop.example --field certificate
https_get() {
  printf '\n$ curl --cacert ACME-CA --resolve shop.example:%s:127.0.0.1 https://shop.example:%s/\n' "$HTTPS_PORT" "$HTTPS_PORT" >&2
  curl -sf --cacert "$RIG_ACME_BUNDLE" --resolve "shop.example:$HTTPS_PORT:127.0.0.1" "https://shop.example:$HTTPS_PORT/"
}
https_get
printf '\n$ curl -sI -H "Host: shop.example" http://127.0.0.1:%s/   # plain HTTP: a redirect\n' "$RIG_NGINX_PORT" >&2
curl -sI -H "Host: shop.example" "http://127.0.0.1:$RIG_NGINX_PORT/" | grep -Ei '^(HTTP|location)' >&2
on node-a
printf '\n$ %sv2=$(hostctl site clone shop --label v2 -o id)\n' "${HOSTCTL_NODE:+HOSTCTL_NODE=$HOSTCTL_NODE }" >&2
v2=$("$HOSTCTL_BIN" site clone shop --label v2 -q -o id)
step site switch shop --to "$v2" -q --field active_deployment
https_get
step deployment list
step task list -n 6
echo >&2
echo "demo: done; the sandbox hosts are being stopped" >&2
