#!/usr/bin/env bash
# Site delivery: `site create` + `route add` + `route activate` until the
# site's first 200 through the router, from the reserve versus a fresh install
# of the example services, on the test rig. Median of RUNS runs each, in three
# layouts measured in this one run:
#   one host      the old figure: router and deployments on one host, nginx
#                 serving the deployment's directory from its own disk;
#   across hosts  router rig1 proxying to web host rig2's own nginx (as root,
#                 each host its own Unix user, so they share no files);
#   https         the same, the route over HTTPS with the operator's wildcard
#                 certificate (route add --tls-cert/--tls-key), fetched over HTTPS.
# Then WordPress (Debian's package on php-fpm, its database on a MariaDB db
# host): the reserve filled from a template site holding thousands of posts
# and tens of MB of uploads, versus a fresh install and versus copying the
# template on demand, each to the first 200 with WordPress's HTML through the
# router, with the split of the time spent.
#   bench/delivery.sh [BUILD_DIR] [RUNS] [POSTS] [UPLOAD_MB]
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD_DIR=${1:-$ROOT/build}
RUNS=${2:-7}
POSTS=${3:-3000}
UPLOAD_MB=${4:-24}
export HOSTCTL_BIN="$BUILD_DIR/hostctl"
. "$ROOT/tests/rig/rig.sh"
rig_skip_unless_ready
[ "$(id -u)" = 0 ] && RIG_PER_USER=1
WORK=$(mktemp -d)
chmod 755 "$WORK"
H=$HOSTCTL_BIN
rig_start 3 >/dev/null
rig_nginx_start
rig_web_start 2
HTTPS_PORT=$(rig_free_port 127.0.0.1)
trap 'rig_stop; rm -rf "$WORK"' EXIT

# The operator's wildcard certificate, from a CA of its own.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 -subj /CN=bench-ca \
  -keyout "$WORK/ca.key" -out "$WORK/ca.pem" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=*.bench.test" \
  -keyout "$WORK/wild.key" -out "$WORK/wild.csr" 2>/dev/null
printf 'subjectAltName=DNS:*.bench.test\n' > "$WORK/wild.ext"
openssl x509 -req -in "$WORK/wild.csr" -CA "$WORK/ca.pem" -CAkey "$WORK/ca.key" -CAcreateserial -days 30 \
  -extfile "$WORK/wild.ext" -out "$WORK/wild.crt" 2>/dev/null
export HOSTCTL_ACME_CA_BUNDLE="$WORK/ca.pem"

host_args() {  # I: how hostctl reaches rig host I
  echo --address "${RIG_ADDR[$1]}" --port "${RIG_PORT[$1]}" --user "${RIG_HOST_USER[$1]}" --identity "$RIG_KEY" \
    --base-dir "${RIG_BASE[$1]}" --capacity 500
}
router_args="--role router --router-dir $RIG_NGINX_DIR/sites --nginx-conf $RIG_NGINX_DIR/nginx.conf \
  --http-listen 127.0.0.1:$RIG_NGINX_PORT --https-listen 127.0.0.1:$HTTPS_PORT"
catalog() {  # LAYOUT: a catalog of its own for each layout
  export HOSTCTL_CATALOG="$WORK/$1.db"
  $H init -q >/dev/null
  if [ "$1" = one-host ]; then
    $H host add web $(host_args 1) --role web $router_args -q >/dev/null
  else
    $H host add edge $(host_args 1) $router_args -q >/dev/null
    $H host add web1 $(host_args 2) --role web --web-listen "${RIG_ADDR[2]}:${RIG_WEB_PORT[2]}" \
      --web-dir "${RIG_WEB_DIR[2]}/sites" --web-conf "${RIG_WEB_DIR[2]}/nginx.conf" -q >/dev/null
  fi
  for service in static-site notes-sqlite; do
    sed "s/^reserve: .*/reserve: {size: $RUNS, minimum: $RUNS}/" "$ROOT/schemas/examples/$service/service.yaml" \
      > "$ROOT/schemas/examples/$service/.bench.yaml"
    $H createservice "$ROOT/schemas/examples/$service/.bench.yaml" -q >/dev/null
    rm -f "$ROOT/schemas/examples/$service/.bench.yaml"
  done
}

deliver() {  # NAME SERVICE SCHEME -> milliseconds to the first 200
  local name=$1 service=$2 scheme=$3 start
  start=$(date +%s%N)
  $H site create "$name" --service "$service" -q >/dev/null
  if [ "$scheme" = https ]; then
    $H route add "$name.bench.test" --site "$name" --tls-cert "$WORK/wild.crt" --tls-key "$WORK/wild.key" -q >/dev/null
    $H route activate "$name.bench.test" -q >/dev/null
    until [ "$(curl -s -o /dev/null -w '%{http_code}' --cacert "$WORK/ca.pem" \
      --resolve "$name.bench.test:$HTTPS_PORT:127.0.0.1" "https://$name.bench.test:$HTTPS_PORT/")" = 200 ]; do :; done
  else
    $H route add "$name.bench.test" --site "$name" -q >/dev/null
    $H route activate "$name.bench.test" -q >/dev/null
    until [ "$(curl -s -o /dev/null -w '%{http_code}' -H "Host: $name.bench.test" \
      "http://127.0.0.1:$RIG_NGINX_PORT/")" = 200 ]; do :; done
  fi
  echo $(( ($(date +%s%N) - start) / 1000000 ))
}
median() { sort -n | sed -n "$(( (RUNS + 1) / 2 ))p"; }

measure() {  # LAYOUT SCHEME
  local service reserve fresh tag
  for service in static-site notes-sqlite; do
    $H reserve refill "$service" -q >/dev/null
    tag="$1-$2-${service%%-*}"
    reserve=$(for i in $(seq 1 "$RUNS"); do deliver "r$i-$tag" "$service" "$2"; done | median)
    fresh=$(for i in $(seq 1 "$RUNS"); do deliver "f$i-$tag" "$service" "$2"; done | median)
    printf '%-13s %-13s from the reserve %5s ms   fresh install %5s ms   ratio %s\n' "$1${2:+ $2}" "$service" \
      "$reserve" "$fresh" "$(awk -v a="$fresh" -v b="$reserve" 'BEGIN {printf "%.2fx", a / b}')"
  done
}

catalog one-host
measure one-host http
catalog across-hosts
measure across http
measure across https
echo "targets: from the reserve under 300 ms, and at least 10x faster than a fresh install"

# WordPress: hosts named as the rig names them (rig_php_start and rig_mariadb_start edit rigN).
export HOSTCTL_CATALOG="$WORK/wordpress.db"
$H init -q >/dev/null
$H host add rig1 $(host_args 1) $router_args -q >/dev/null
$H host add rig2 $(host_args 2) --role web --web-listen "${RIG_ADDR[2]}:${RIG_WEB_PORT[2]}" \
  --web-dir "${RIG_WEB_DIR[2]}/sites" --web-conf "${RIG_WEB_DIR[2]}/nginx.conf" -q >/dev/null
$H host add rig3 $(host_args 3) --role db -q >/dev/null
rig_php_start 2
rig_mariadb_start 3
mkdir -p "$WORK/wp"
cp "$ROOT/schemas/examples/wordpress/wp.sh" "$WORK/wp/"
sed "s/^reserve: .*/reserve: {size: $RUNS, minimum: $RUNS, from_site: template}/" \
  "$ROOT/schemas/examples/wordpress/service.yaml" > "$WORK/wp/service.yaml"
$H createservice "$WORK/wp/service.yaml" -q >/dev/null
$H site create template --service wordpress -q >/dev/null
tdb=$(sqlite3 "$HOSTCTL_CATALOG" "SELECT d.db_name FROM deployment d JOIN site s ON s.id = d.site_id WHERE s.name = 'template'")
tdir=$(sqlite3 "$HOSTCTL_CATALOG" "SELECT d.directory FROM deployment d JOIN site s ON s.id = d.site_id WHERE s.name = 'template'")
# Realistic content: POSTS posts (about 2 KB each) and UPLOAD_MB of uploads in files of 256 KB.
rig_sql 3 -D "$tdb" -e "INSERT INTO wp_posts (post_author, post_date, post_date_gmt, post_content, post_title, post_excerpt,
  post_status, post_name, to_ping, pinged, post_modified, post_modified_gmt, post_content_filtered, post_type)
  SELECT 1, now(), utc_timestamp(), repeat('Lorem ipsum dolor sit amet. ', 70), concat('Post ', seq),
  '', 'publish', concat('post-', seq), '', '', now(), utc_timestamp(), '', 'post' FROM seq_1_to_$POSTS"
$H host exec rig2 -- "mkdir -p $tdir/public/wp-content/uploads/2026/12 && cd $tdir/public/wp-content/uploads/2026/12 &&
  head -c ${UPLOAD_MB}M /dev/urandom | split -b 256k - photo-" >/dev/null
size=$($H host exec rig2 -o json -- "du -sm $tdir/public/wp-content | cut -f1" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["stdout"][0])')
start=$(date +%s%N)
$H reserve refill wordpress -q >/dev/null
refill=$(( ($(date +%s%N) - start) / 1000000 ))
echo "wordpress template: $POSTS posts, wp-content $size MB; reserve refill of $RUNS copies: $refill ms"

ms_since() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }
wp_deliver() {  # NAME HOW -> "total create route activate first200" in ms
  local name=$1 how=$2 t0 t1 t2 t3 create route activate
  t0=$(date +%s%N)
  if [ "$how" = copy ]; then
    $H site clone template --label "$name" -q >/dev/null  # the template copied now: what the reserve does ahead
  else
    $H site create "$name" --service wordpress -q >/dev/null
  fi
  create=$(ms_since "$t0")
  t1=$(date +%s%N)
  [ "$how" = copy ] || $H route add "$name.bench.test" --site "$name" --primary -q >/dev/null
  route=$(ms_since "$t1")
  t2=$(date +%s%N)
  [ "$how" = copy ] || $H route activate "$name.bench.test" -q >/dev/null
  activate=$(ms_since "$t2")
  t3=$(date +%s%N)
  if [ "$how" != copy ]; then
    # (to a file: `curl | grep -q` fails under pipefail when grep stops reading early)
    until curl -s -o "$WORK/page" -H "Host: $name.bench.test:$RIG_NGINX_PORT" "http://127.0.0.1:$RIG_NGINX_PORT/" &&
      grep -q "wp-content" "$WORK/page"; do :; done
  fi
  echo "$(ms_since "$t0") $create $route $activate $(ms_since "$t3")"
}
wp_median() {  # FIELD: the median of one field of wp_deliver's lines
  awk -v f="$1" '{print $f}' | sort -n | sed -n "$(( (RUNS + 1) / 2 ))p"
}
from_reserve=$(for i in $(seq 1 "$RUNS"); do wp_deliver "wr$i" reserve; done)
copies=$(for i in $(seq 1 "$RUNS"); do wp_deliver "wc$i" copy; done)
fresh=$(for i in $(seq 1 "$RUNS"); do wp_deliver "wf$i" fresh; done)
r=$(echo "$from_reserve" | wp_median 1)
c=$(echo "$copies" | wp_median 1)
f=$(echo "$fresh" | wp_median 1)
printf 'wordpress     from the reserve %5s ms   copy of the template now %5s ms (%s)   fresh empty install %5s ms (%s)\n' \
  "$r" "$c" "$(awk -v a="$c" -v b="$r" 'BEGIN {printf "%.1fx", a / b}')" "$f" \
  "$(awk -v a="$f" -v b="$r" 'BEGIN {printf "%.1fx", a / b}')"
printf 'wordpress from the reserve, split (medians): site create (claim + allocate + checks) %s ms, route add %s ms, route activate (sync, reload, check) %s ms, to the first 200 %s ms\n' \
  "$(echo "$from_reserve" | wp_median 2)" "$(echo "$from_reserve" | wp_median 3)" \
  "$(echo "$from_reserve" | wp_median 4)" "$(echo "$from_reserve" | wp_median 5)"
echo "wordpress targets: from the reserve at least 10x faster than a copy of the same template, and under 500 ms"
