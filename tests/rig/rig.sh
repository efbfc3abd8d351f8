# The test rig: real sshd hosts on 127.0.0.x and a real nginx, everything in
# one temporary directory, nothing under /etc changed (as root, one system user
# `hostctl-rig` with /bin/sh as its shell is created once, so no bashrc runs).
# Source it, then: rig_start N; rig_register; ...; rig_stop (also on EXIT).
# With RIG_PER_USER=1 (root only), host i logs in as its own user
# `hostctl-rig<i>` and its base directory is 0700: hosts share no files, as
# separate machines would; the router's nginx runs as host 1's user.
#
# After rig_start: RIG_DIR, RIG_USER, RIG_KEY (client private key),
# RIG_KNOWN_HOSTS, RIG_SSH_CONFIG, RIG_ADDR[i], RIG_PORT[i], RIG_PID[i],
# RIG_BASE[i] (the host's base directory), RIG_HOST_USER[i] for i in 1..N.
# After rig_nginx_start: RIG_NGINX_PORT, RIG_NGINX_DIR (sites in $RIG_NGINX_DIR/sites).
# After rig_web_start I: RIG_WEB_PORT[I], RIG_WEB_DIR[I] (host I's own nginx on
# its own address, run as its user; backend blocks in $RIG_WEB_DIR[I]/sites).
# After rig_php_start I (host I registered): RIG_PHP_DIR[I], its php-fpm.
# After rig_mariadb_start I (host I registered): host I is a database server
# (role db, engine mariadb) running as its user on RIG_DB_PORT[I] at its address.

RIG_SSHD=${RIG_SSHD:-/usr/sbin/sshd}
RIG_NGINX=${RIG_NGINX:-/usr/sbin/nginx}
declare -a RIG_ADDR RIG_PORT RIG_PID RIG_BASE RIG_HOST_USER RIG_WEB_PORT RIG_WEB_DIR RIG_WEB_PID RIG_PHP_PID RIG_PHP_DIR
declare -a RIG_DB_PID RIG_DB_PORT RIG_DB_DIR
RIG_COUNT=0
RIG_NGINX_PID=""
RIG_PER_USER=${RIG_PER_USER:-0}

rig_skip_unless_ready() {
  if [ ! -x "$RIG_SSHD" ] || ! command -v ssh-keygen >/dev/null; then
    echo "skip: openssh-server is not installed (scripts/setup.sh installs it)"
    exit 77
  fi
}

rig_make_user() {
  if ! id "$1" >/dev/null 2>&1; then
    useradd --system --shell /bin/sh --home-dir "/var/lib/$1" --create-home "$1" 2>/dev/null ||
      id "$1" >/dev/null 2>&1 || return 1  # another test may have made it meanwhile
  fi
  # '*' rather than '!': sshd without PAM treats '!' as a locked account.
  usermod -p '*' "$1" 2>/dev/null || true
}

rig_user_setup() {
  if [ "$(id -u)" != 0 ]; then
    [ "$RIG_PER_USER" = 1 ] && { echo "skip: a rig with one user per host needs root"; exit 77; }
    RIG_USER=$(id -un)
    return
  fi
  RIG_USER=hostctl-rig
  rig_make_user "$RIG_USER"
  mkdir -p /run/sshd
}

# A free TCP port on ADDRESS.
rig_free_port() {
  python3 -c 'import socket,sys; s=socket.socket(); s.bind((sys.argv[1], 0)); print(s.getsockname()[1])' "$1"
}

rig_wait_port() {
  local addr=$1 port=$2 i
  for i in $(seq 1 100); do
    (exec 3<>"/dev/tcp/$addr/$port") 2>/dev/null && return 0
    sleep 0.05
  done
  return 1
}

rig_host_config() {
  local i=$1 dir="$RIG_DIR/host$1"
  cat > "$dir/sshd_config" <<CFG
ListenAddress ${RIG_ADDR[$i]}:${RIG_PORT[$i]}
HostKey $dir/ssh_host_ed25519_key
AuthorizedKeysFile $RIG_DIR/authorized_keys
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
PidFile $dir/sshd.pid
MaxStartups 100:30:200
MaxSessions 64
Subsystem sftp internal-sftp
AllowUsers ${RIG_HOST_USER[$i]}
LogLevel VERBOSE
CFG
}

rig_start_sshd() {
  local i=$1 dir="$RIG_DIR/host$1"
  ( exec "$RIG_SSHD" -D -f "$dir/sshd_config" -E "$dir/sshd.log" </dev/null >/dev/null 2>&1 ) &
  RIG_PID[$i]=$!
  rig_wait_port "${RIG_ADDR[$i]}" "${RIG_PORT[$i]}" || { echo "rig: sshd $i did not start" >&2; cat "$dir/sshd.log" >&2; return 1; }
}

rig_known_hosts_line() {
  local i=$1
  echo "[${RIG_ADDR[$i]}]:${RIG_PORT[$i]} $(cut -d' ' -f1,2 "$RIG_DIR/host$i/ssh_host_ed25519_key.pub")"
}

rig_start() {
  local n=$1 i
  rig_user_setup
  RIG_DIR=$(mktemp -d "${TMPDIR:-/tmp}/hostctl-rig.XXXXXX")
  chmod 755 "$RIG_DIR"
  RIG_KEY="$RIG_DIR/client_key"
  ssh-keygen -q -t ed25519 -N '' -f "$RIG_KEY" -C hostctl-rig
  cp "$RIG_KEY.pub" "$RIG_DIR/authorized_keys"
  chmod 644 "$RIG_DIR/authorized_keys"
  RIG_KNOWN_HOSTS="$RIG_DIR/known_hosts"
  RIG_SSH_CONFIG="$RIG_DIR/ssh_config"
  : > "$RIG_KNOWN_HOSTS"
  : > "$RIG_SSH_CONFIG"
  for i in $(seq 1 "$n"); do
    mkdir -p "$RIG_DIR/host$i/srv"
    RIG_ADDR[$i]="127.0.0.$((10 + i))"
    RIG_PORT[$i]=$(rig_free_port "${RIG_ADDR[$i]}")
    RIG_BASE[$i]="$RIG_DIR/host$i/srv"
    RIG_HOST_USER[$i]=$RIG_USER
    if [ "$RIG_PER_USER" = 1 ]; then
      RIG_HOST_USER[$i]="hostctl-rig$i"
      rig_make_user "${RIG_HOST_USER[$i]}" || return 1
      chmod 700 "$RIG_DIR/host$i/srv"
    fi
    chown "${RIG_HOST_USER[$i]}" "$RIG_DIR/host$i/srv"
    ssh-keygen -q -t ed25519 -N '' -f "$RIG_DIR/host$i/ssh_host_ed25519_key"
    rig_host_config "$i"
    rig_start_sshd "$i" || return 1
    rig_known_hosts_line "$i" >> "$RIG_KNOWN_HOSTS"
  done
  RIG_COUNT=$n
  export HOSTCTL_KNOWN_HOSTS="$RIG_KNOWN_HOSTS" HOSTCTL_SSH_CONFIG="$RIG_SSH_CONFIG"
  trap rig_stop EXIT
}

# Registers every rig host with hostctl as rig1..rigN (extra args go to host
# add). With RIG_PER_USER=1 each also runs its own nginx for its deployments'
# backend blocks (rig_web_start), which the router proxies to.
rig_register() {
  local i
  for i in $(seq 1 "$RIG_COUNT"); do
    "$HOSTCTL_BIN" host add "rig$i" --address "${RIG_ADDR[$i]}" --port "${RIG_PORT[$i]}" --user "${RIG_HOST_USER[$i]}" \
      --identity "$RIG_KEY" --base-dir "${RIG_BASE[$i]}" "$@" -q >/dev/null || return 1
    if [ "$RIG_PER_USER" = 1 ]; then
      rig_web_start "$i" && rig_make_web "$i" || return 1
    fi
  done
}

# The data plane on a per-user rig (root only): a new catalog and N hosts (default 2),
# every one a web host with its own nginx (rig_register), and rig1 also the router.
rig_data_plane() {
  RIG_PER_USER=1
  "$HOSTCTL_BIN" init -q >/dev/null || return 1
  rig_start "${1:-2}" && rig_nginx_start && rig_register && rig_make_router 1
}

# For tests (uses lib.sh's fail): the router's block for DOMAIN sends it to the
# deployment whose directory is DIR: a proxy to its backend block, whose root is
# DIR/public, or (a host without its own nginx) a root on the router's disk.
expect_served_from() {
  local domain=$1 dir=$2 conf="$RIG_NGINX_DIR/sites/hostctl-$1.conf" id host
  grep -q "root $dir/public;" "$conf" && return 0
  id=$(catalog_sql "SELECT id FROM deployment WHERE directory = '$dir'")
  host=$(catalog_sql "SELECT h.web_dir FROM host h JOIN deployment d ON d.host_id = h.id WHERE d.id = '$id'")
  grep -q "proxy_set_header Host d$id.backend.hostctl;" "$conf" && grep -q "root $dir/public;" "$host/hostctl-backend-$id.conf" ||
    fail "the router does not send $domain to $dir"
}

# Every process below PID (the post-auth sshd of a connection is a grandchild).
rig_descendants() {
  local child
  for child in $(ps -o pid= --ppid "$1" 2>/dev/null); do
    echo "$child"
    rig_descendants "$child"
  done
}

# Makes registered host rigI (default 1) a web host and the router of the rig's nginx.
# The rig most suites start from: the catalog, N hosts (default 2; each its
# own Unix user when run as root), rig1 also the nginx router, and the
# static-site plan registered. Exits 77 (skip) where the rig cannot run.
rig_suite() {
  RIG_PER_USER=1
  rig_skip_unless_ready
  "$HOSTCTL_BIN" init -q >/dev/null
  rig_start "${1:-2}" || exit 1
  rig_nginx_start || exit 1
  rig_register || exit 1
  rig_make_router
  "$HOSTCTL_BIN" createservice "$EXAMPLES/static-site/service.yaml" -q >/dev/null || exit 1
}

rig_make_router() {
  "$HOSTCTL_BIN" host edit "rig${1:-1}" --role web --role router --router-dir "$RIG_NGINX_DIR/sites" \
    --nginx-conf "$RIG_NGINX_DIR/nginx.conf" --http-listen "127.0.0.1:$RIG_NGINX_PORT" -q >/dev/null
}

# Kills host i's sshd and every connection it serves.
rig_kill_host() {
  local i=$1
  rig_kill_connections "$i"
  kill -KILL "${RIG_PID[$i]}" 2>/dev/null
  wait "${RIG_PID[$i]}" 2>/dev/null || true  # 137: it was killed, as asked; under set -e (the demo) that must not stop here
  return 0
}

# Kills the connections host i serves (and what runs in them), leaving its listener up.
rig_kill_connections() {
  local pids
  pids=$(rig_descendants "${RIG_PID[$1]}")
  [ -n "$pids" ] && kill -KILL $pids 2>/dev/null
  return 0
}

rig_restart_host() { rig_kill_host "$1"; rig_start_sshd "$1"; }

# Gives host i a new host key, as a reinstalled machine would have.
rig_new_host_key() {
  local i=$1
  rm -f "$RIG_DIR/host$i/ssh_host_ed25519_key"*
  ssh-keygen -q -t ed25519 -N '' -f "$RIG_DIR/host$i/ssh_host_ed25519_key"
  rig_restart_host "$i"
}

# rig_run_nginx USER DIR LISTEN: an nginx with its files in DIR (server blocks
# in DIR/sites), run as USER so that host can rewrite and reload it; its pid in RIG_LAST_PID.
rig_run_nginx() {
  local user=$1 dir=$2 listen=$3
  mkdir -p "$dir/sites" "$dir/tmp" "$dir/logs"
  cat > "$dir/nginx.conf" <<CFG
worker_processes 1;
pid $dir/nginx.pid;
error_log $dir/logs/error.log;
events { worker_connections 256; }
http {
  access_log $dir/logs/access.log;
  client_body_temp_path $dir/tmp/body;
  proxy_temp_path $dir/tmp/proxy;
  fastcgi_temp_path $dir/tmp/fastcgi;
  uwsgi_temp_path $dir/tmp/uwsgi;
  scgi_temp_path $dir/tmp/scgi;
  server_names_hash_max_size 8192;
  server_names_hash_bucket_size 128;
  server { listen $listen default_server; return 404; }
  include $dir/sites/*.conf;
}
CFG
  chown -R "$user" "$dir"
  local as_user=()
  [ "$(id -u)" = 0 ] && [ "$user" != root ] && as_user=(setpriv --reuid="$user" --regid="$(id -g "$user")" --init-groups)
  ( exec "${as_user[@]}" "$RIG_NGINX" -p "$dir/" -c "$dir/nginx.conf" -e "$dir/logs/error.log" \
      -g 'daemon off;' </dev/null >/dev/null 2>&1 ) &
  RIG_LAST_PID=$!
}

# The router's nginx on 127.0.0.1, run as host 1's user.
rig_nginx_start() {
  [ -x "$RIG_NGINX" ] || { echo "skip: nginx is not installed"; exit 77; }
  RIG_NGINX_DIR="$RIG_DIR/nginx"
  RIG_NGINX_PORT=$(rig_free_port 127.0.0.1)
  rig_run_nginx "${RIG_HOST_USER[1]:-$RIG_USER}" "$RIG_NGINX_DIR" "127.0.0.1:$RIG_NGINX_PORT"
  RIG_NGINX_PID=$RIG_LAST_PID
  rig_wait_port 127.0.0.1 "$RIG_NGINX_PORT" || { echo "rig: nginx did not start" >&2; cat "$RIG_NGINX_DIR/logs/error.log" >&2; return 1; }
}

# Host i's own nginx for its deployments' backend blocks, on its own address,
# as its user, with its files in a directory only that user can read.
rig_web_start() {
  local i=$1
  [ -x "$RIG_NGINX" ] || { echo "skip: nginx is not installed"; exit 77; }
  RIG_WEB_DIR[$i]="$RIG_DIR/host$i/web"
  mkdir -p "${RIG_WEB_DIR[$i]}"
  chmod 700 "${RIG_WEB_DIR[$i]}"
  RIG_WEB_PORT[$i]=$(rig_free_port "${RIG_ADDR[$i]}")
  rig_run_nginx "${RIG_HOST_USER[$i]}" "${RIG_WEB_DIR[$i]}" "${RIG_ADDR[$i]}:${RIG_WEB_PORT[$i]}"
  RIG_WEB_PID[$i]=$RIG_LAST_PID
  rig_wait_port "${RIG_ADDR[$i]}" "${RIG_WEB_PORT[$i]}" || { echo "rig: web nginx $i did not start" >&2; cat "${RIG_WEB_DIR[$i]}/logs/error.log" >&2; return 1; }
}

# Host i's own php-fpm, as its user, with its files in a directory only that
# user can read: PHP deployments' pools go to RIG_PHP_DIR[i]/pool.d (one idle
# pool of the rig's keeps php-fpm up while hostctl has written none).
RIG_PHP_FPM=${RIG_PHP_FPM:-/usr/sbin/php-fpm8.2}
rig_php_start() {
  local i=$1 dir="$RIG_DIR/host$1/php" user=${RIG_HOST_USER[$1]}
  [ -x "$RIG_PHP_FPM" ] || { echo "skip: php-fpm is not installed (scripts/setup.sh installs php8.2-fpm)"; exit 77; }
  mkdir -p "$dir/pool.d"
  cat > "$dir/php-fpm.conf" <<CFG
[global]
pid = $dir/php-fpm.pid
error_log = $dir/error.log
daemonize = no
; a reload (USR2) lets requests in flight finish instead of cutting them off
process_control_timeout = 10s
include = $dir/pool.d/*.conf
CFG
  cat > "$dir/pool.d/rig-idle.conf" <<CFG
[rig-idle]
listen = $dir/rig-idle.sock
pm = ondemand
pm.max_children = 1
CFG
  mkdir -p "$dir/opcache"
  chown -R "$user" "$dir"
  chmod 700 "$dir"
  local as_user=()
  [ "$(id -u)" = 0 ] && [ "$user" != root ] && as_user=(setpriv --reuid="$user" --regid="$(id -g "$user")" --init-groups)
  # Compiled scripts also kept on disk, as a host serving many PHP sites is
  # set up: hostctl's reload (USR2) starts php-fpm again, which empties
  # opcache's memory, and every site would compile its code again.
  ( exec "${as_user[@]}" "$RIG_PHP_FPM" --nodaemonize --fpm-config "$dir/php-fpm.conf" \
      -d opcache.file_cache="$dir/opcache" </dev/null >/dev/null 2>&1 ) &
  RIG_PHP_PID[$i]=$!
  RIG_PHP_DIR[$i]=$dir
  local n
  for n in $(seq 1 100); do [ -S "$dir/rig-idle.sock" ] && break; sleep 0.05; done
  [ -S "$dir/rig-idle.sock" ] || { echo "rig: php-fpm $i did not start" >&2; cat "$dir/error.log" >&2; return 1; }
  "$HOSTCTL_BIN" host edit "rig$i" --php-fpm-bin "$RIG_PHP_FPM" --php-fpm-conf "$dir/php-fpm.conf" \
    --php-pool-dir "$dir/pool.d" -q >/dev/null
}

# MariaDB for host I, run as its user in its own data directory (root only),
# with an admin user that hostctl is given the password of through a file.
# Host I's roles become ROLES (default: db alone).
rig_mariadb_start() {
  local i=$1 dir="$RIG_DIR/host$1/mariadb" user=${RIG_HOST_USER[$1]} n role roles=()
  for role in ${@:2}; do roles+=(--role "$role"); done
  [ ${#roles[@]} -gt 0 ] || roles=(--role db)
  command -v mariadbd >/dev/null || [ -x /usr/sbin/mariadbd ] ||
    { echo "skip: mariadb-server is not installed (scripts/setup.sh installs it)"; exit 77; }
  mkdir -p "$dir/data" "$dir/run"
  chown -R "$user" "$dir"
  chmod 700 "$dir"
  mariadb-install-db --no-defaults --user="$user" --datadir="$dir/data" --auth-root-authentication-method=socket \
    --skip-test-db >"$dir/install.log" 2>&1 || { cat "$dir/install.log" >&2; return 1; }
  RIG_DB_PORT[$i]=$(rig_free_port "${RIG_ADDR[$i]}")
  ( exec /usr/sbin/mariadbd --no-defaults --user="$user" --datadir="$dir/data" --socket="$dir/run/mysqld.sock" \
      --port="${RIG_DB_PORT[$i]}" --bind-address="${RIG_ADDR[$i]}" --pid-file="$dir/run/mariadbd.pid" \
      --log-error="$dir/error.log" --skip-log-bin --innodb-buffer-pool-size=32M --skip-name-resolve \
      </dev/null >/dev/null 2>&1 ) &
  RIG_DB_PID[$i]=$!
  RIG_DB_DIR[$i]=$dir
  for n in $(seq 1 200); do [ -S "$dir/run/mysqld.sock" ] && break; sleep 0.05; done
  [ -S "$dir/run/mysqld.sock" ] || { echo "rig: mariadb $i did not start" >&2; cat "$dir/error.log" >&2; return 1; }
  ( umask 077; head -c 18 /dev/urandom | base64 | tr -d '/+=' > "$RIG_DIR/db$i-admin.pw" )
  # root by socket only (as this root); the admin's password goes in on stdin.
  mariadb --no-defaults -S "$dir/run/mysqld.sock" -u root <<SQL || return 1
CREATE USER 'hcadmin'@'%' IDENTIFIED BY '$(cat "$RIG_DIR/db$i-admin.pw")';
GRANT ALL PRIVILEGES ON *.* TO 'hcadmin'@'%' WITH GRANT OPTION;
SQL
  "$HOSTCTL_BIN" host edit "rig$i" "${roles[@]}" --db-engine mariadb --db-port "${RIG_DB_PORT[$i]}" \
    --db-admin-user hcadmin --db-admin-password-file "$RIG_DIR/db$i-admin.pw" -q >/dev/null
}

# For tests (uses lib.sh): probe_during PORT DOMAIN TEXT ARGS... runs hostctl
# ARGS while tests/rig/probe.py asks the router on 127.0.0.1:PORT for DOMAIN
# (about 50 a second; over HTTPS when PROBE_CA is set) expecting TEXT. The
# command must succeed, and the probe send at least 10 requests, none failed.
probe_during() {
  local port=$1 domain=$2 text=$3 probe sent failed
  shift 3
  rm -f "$WORK/stop"
  python3 "$HOSTCTL_SOURCE_DIR/tests/rig/probe.py" 127.0.0.1 "$port" "$domain" "$text" "$WORK/stop" 50 300 \
    >"$WORK/probe.out" &
  probe=$!
  sleep 0.5
  hc "$@"
  expect_rc 0
  sleep 0.5
  touch "$WORK/stop"
  wait "$probe"
  read -r _ sent _ failed < "$WORK/probe.out"
  echo "# hostctl $*: probe sent $sent requests, $failed failed"
  expect_true test "$sent" -ge 10
  [ "$failed" = 0 ] || fail "$failed of $sent requests failed: $(tail -n +2 "$WORK/probe.out" | tr '\n' ';')"
}

# For tests: runs SQL (stdin) as root on host I's MariaDB; rows tab-separated.
rig_sql() {
  mariadb --no-defaults -S "${RIG_DB_DIR[$1]}/run/mysqld.sock" -u root --batch --skip-column-names "${@:2}"
}

# A real ACME server for the router: pebble, with pebble-challtestsrv as its
# DNS answering 127.0.0.1 for every name, so HTTP-01 validation really fetches
# the challenge from the router's nginx on 127.0.0.1:RIG_NGINX_PORT.
# Sets RIG_ACME_DIRECTORY and RIG_ACME_BUNDLE (pebble's TLS CA and the root
# that signs what it issues), and exports hostctl's acme_* settings.
rig_acme_start() {
  command -v pebble >/dev/null && command -v pebble-challtestsrv >/dev/null && command -v lego >/dev/null ||
    { echo "skip: pebble and lego are not installed (scripts/setup.sh installs them)"; exit 77; }
  local dir="$RIG_DIR/acme" dns port mgmt i
  mkdir -p "$dir"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 3650 -subj /CN=rig-acme-ca \
    -keyout "$dir/ca.key" -out "$dir/ca.pem" 2>/dev/null
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=localhost \
    -keyout "$dir/key.pem" -out "$dir/leaf.csr" 2>/dev/null
  printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' > "$dir/leaf.ext"
  openssl x509 -req -in "$dir/leaf.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" -CAcreateserial -days 3650 \
    -extfile "$dir/leaf.ext" -out "$dir/cert.pem" 2>/dev/null
  dns=$(rig_free_port 127.0.0.1); port=$(rig_free_port 127.0.0.1); mgmt=$(rig_free_port 127.0.0.1)
  cat > "$dir/pebble.json" <<CFG
{"pebble": {"listenAddress": "127.0.0.1:$port", "managementListenAddress": "127.0.0.1:$mgmt",
 "certificate": "$dir/cert.pem", "privateKey": "$dir/key.pem", "httpPort": $RIG_NGINX_PORT, "tlsPort": 5001}}
CFG
  ( exec pebble-challtestsrv -dns01 "127.0.0.1:$dns" -management "127.0.0.1:$(rig_free_port 127.0.0.1)" -http01 '' \
      -https01 '' -tlsalpn01 '' -defaultIPv4 127.0.0.1 -defaultIPv6 '' </dev/null >"$dir/dns.log" 2>&1 ) &
  RIG_ACME_PIDS=$!
  ( PEBBLE_VA_NOSLEEP=1 PEBBLE_WFE_NONCEREJECT=0 PEBBLE_AUTHZREUSE=0 exec pebble -config "$dir/pebble.json" \
      -dnsserver "127.0.0.1:$dns" </dev/null >"$dir/pebble.log" 2>&1 ) &
  RIG_ACME_PIDS="$RIG_ACME_PIDS $!"
  rig_wait_port 127.0.0.1 "$port" && rig_wait_port 127.0.0.1 "$mgmt" ||
    { echo "rig: pebble did not start" >&2; cat "$dir/pebble.log" "$dir/dns.log" >&2; return 1; }
  cp "$dir/ca.pem" "$dir/bundle.pem"
  for i in $(seq 1 50); do
    curl -sf --cacert "$dir/ca.pem" "https://127.0.0.1:$mgmt/roots/0" >> "$dir/bundle.pem" && break
    sleep 0.1
  done
  grep -c BEGIN "$dir/bundle.pem" | grep -q 2 || { echo "rig: no root from pebble" >&2; return 1; }
  RIG_ACME_DIRECTORY="https://127.0.0.1:$port/dir"
  RIG_ACME_BUNDLE="$dir/bundle.pem"
  export HOSTCTL_ACME_DIRECTORY=$RIG_ACME_DIRECTORY HOSTCTL_ACME_CA_BUNDLE=$RIG_ACME_BUNDLE \
    HOSTCTL_ACME_EMAIL=ops@example.org
}

# Makes registered host rigI a web host whose deployments its own nginx serves.
rig_make_web() {
  local i=$1
  "$HOSTCTL_BIN" host edit "rig$i" --web-listen "${RIG_ADDR[$i]}:${RIG_WEB_PORT[$i]}" --web-dir "${RIG_WEB_DIR[$i]}/sites" \
    --web-conf "${RIG_WEB_DIR[$i]}/nginx.conf" -q >/dev/null
}

# For tests (uses lib.sh's fail): waits up to 3 s, for nginx's reload, until
# http://DOMAIN/ on the rig's nginx answers CODE; the body is left in $WORK/page.
expect_http() {
  local code=$1 domain=$2 got="" i
  for i in $(seq 1 30); do
    got=$(curl -s -o "$WORK/page" -w '%{http_code}' -H "Host: $domain" "http://127.0.0.1:$RIG_NGINX_PORT/")
    [ "$got" = "$code" ] && return 0
    sleep 0.1
  done
  fail "http://$domain/ answered $got, expected $code"
}

rig_stop() {
  local i
  set +e  # best effort: a caller under set -e (the demo) must still clean everything up
  for i in $(seq 1 "$RIG_COUNT"); do
    rig_kill_host "$i"
    [ -n "${RIG_WEB_PID[$i]:-}" ] && kill -TERM "${RIG_WEB_PID[$i]}" 2>/dev/null && { wait "${RIG_WEB_PID[$i]}" 2>/dev/null || true; }
    [ -n "${RIG_PHP_PID[$i]:-}" ] && kill -QUIT "${RIG_PHP_PID[$i]}" 2>/dev/null && { wait "${RIG_PHP_PID[$i]}" 2>/dev/null || true; }
    [ -n "${RIG_DB_PID[$i]:-}" ] && kill -TERM "${RIG_DB_PID[$i]}" 2>/dev/null && { wait "${RIG_DB_PID[$i]}" 2>/dev/null || true; }
  done
  [ -n "$RIG_NGINX_PID" ] && kill -TERM "$RIG_NGINX_PID" 2>/dev/null && { wait "$RIG_NGINX_PID" 2>/dev/null || true; }
  for i in ${RIG_ACME_PIDS:-}; do kill -TERM "$i" 2>/dev/null && { wait "$i" 2>/dev/null || true; }; done
  RIG_ACME_PIDS=""
  RIG_COUNT=0
  RIG_NGINX_PID=""
  # Tasks the tests left behind on this rig's hosts (other rigs may run at the same time).
  if [ -n "${RIG_DIR:-}" ]; then
    for i in $(printf '%s\n' "$RIG_USER" "${RIG_HOST_USER[@]}" | sort -u); do pkill -KILL -u "$i" -f "$RIG_DIR" 2>/dev/null; done
  fi
  [ -n "${RIG_DIR:-}" ] && rm -rf "$RIG_DIR"
  [ -n "${WORK:-}" ] && rm -rf "$WORK"
  ! declare -F pg_stop >/dev/null || pg_stop  # the catalog's server, on PostgreSQL runs
  return 0
}
