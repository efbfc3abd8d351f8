#!/usr/bin/env bash
# Site delivery: `site create` + `route add` + `route activate` until the
# site's first HTTP 200 through nginx, from the reserve versus a fresh install
# of the example service, on the test rig. Median of RUNS runs each.
#   bench/delivery.sh [BUILD_DIR] [RUNS]
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD_DIR=${1:-$ROOT/build}
RUNS=${2:-7}
export HOSTCTL_BIN="$BUILD_DIR/hostctl"
. "$ROOT/tests/rig/rig.sh"
rig_skip_unless_ready
WORK=$(mktemp -d)
export HOSTCTL_CATALOG="$WORK/catalog.db"
H=$HOSTCTL_BIN
$H init -q >/dev/null
rig_start 1 >/dev/null
rig_nginx_start
$H host add web --address "${RIG_ADDR[1]}" --port "${RIG_PORT[1]}" --user "$RIG_USER" --identity "$RIG_KEY" \
  --base-dir "${RIG_BASE[1]}" --role web --role router --router-dir "$RIG_NGINX_DIR/sites" \
  --nginx-conf "$RIG_NGINX_DIR/nginx.conf" --http-listen "127.0.0.1:$RIG_NGINX_PORT" --capacity 500 -q >/dev/null

deliver() {  # NAME SERVICE -> milliseconds to the first 200
  local name=$1 service=$2 start code
  start=$(date +%s%N)
  $H site create "$name" --service "$service" -q >/dev/null
  $H route add "$name.test" --site "$name" -q >/dev/null
  $H route activate "$name.test" -q >/dev/null
  until [ "$(curl -s -o /dev/null -w '%{http_code}' -H "Host: $name.test" "http://127.0.0.1:$RIG_NGINX_PORT/")" = 200 ]; do :; done
  echo $(( ($(date +%s%N) - start) / 1000000 ))
}
median() { sort -n | sed -n "$(( (RUNS + 1) / 2 ))p"; }

for service in static-site notes-sqlite; do
  sed "s/^reserve: .*/reserve: {size: $RUNS, minimum: $RUNS}/" "$ROOT/schemas/examples/$service/service.yaml" \
    > "$(dirname "$ROOT/schemas/examples/$service/service.yaml")/.bench.yaml"
  $H createservice "$ROOT/schemas/examples/$service/.bench.yaml" -q >/dev/null
  rm -f "$ROOT/schemas/examples/$service/.bench.yaml"
  $H reserve refill "$service" -q >/dev/null
  reserve=$(for i in $(seq 1 "$RUNS"); do deliver "r$i-${service%%-*}" "$service"; done | median)
  fresh=$(for i in $(seq 1 "$RUNS"); do deliver "f$i-${service%%-*}" "$service"; done | median)
  printf '%-13s from the reserve %5s ms   fresh install %5s ms   ratio %s\n' "$service" "$reserve" "$fresh" \
    "$(awk -v a="$fresh" -v b="$reserve" 'BEGIN {printf "%.2fx", a / b}')"
done
echo "targets: from the reserve under 300 ms, and at least 10x faster than a fresh install"
rm -rf "$WORK"
