# A real PostgreSQL server on 127.0.0.1 in a temporary directory, for the
# catalog (RIG.md: initdb and pg_ctl as the postgres user when run as root).
# Source it, then: pg_start; pg_new_database NAME (prints its URI); pg_stop.
# After pg_start: PG_DIR, PG_PORT, PG_PID, PG_URI_BASE (postgresql://hostctl@127.0.0.1:PORT).

PG_BIN=${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}

pg_as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

pg_skip_unless_ready() {
  if [ -z "$PG_BIN" ] || [ ! -x "$PG_BIN/initdb" ] || ! command -v psql >/dev/null; then
    echo "skip: postgresql is not installed (scripts/setup.sh installs it)"
    exit 77
  fi
}

pg_start() {
  pg_skip_unless_ready
  PG_DIR=$(mktemp -d "${TMPDIR:-/tmp}/hostctl-pg.XXXXXX")
  [ "$(id -u)" != 0 ] || chown postgres: "$PG_DIR"
  PG_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  pg_as_owner "$PG_BIN/initdb" -D "$PG_DIR/data" -U hostctl -A trust -E UTF8 --locale=C.UTF-8 --no-sync >"$PG_DIR/initdb.log" 2>&1 ||
    { cat "$PG_DIR/initdb.log" >&2; return 1; }
  pg_server_start
  PG_URI_BASE="postgresql://hostctl@127.0.0.1:$PG_PORT"
}

# Starts (or starts again) the server made by pg_start, on the same port.
pg_server_start() {
  pg_as_owner "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 30 \
    -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -c unix_socket_directories=$PG_DIR -c fsync=off -c max_connections=300 -c client_connection_check_interval=1s" \
    start >/dev/null || { cat "$PG_DIR/server.log" >&2; return 1; }
  PG_PID=$(head -n 1 "$PG_DIR/data/postmaster.pid")
}

pg_server_stop() {
  [ -n "${PG_PID:-}" ] || return 0
  pg_as_owner "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m "${1:-fast}" -w stop >/dev/null 2>&1
  while kill -0 "$PG_PID" 2>/dev/null; do sleep 0.05; done  # pg_ctl returns a moment early
  PG_PID=""
}

# pg_new_database NAME [TEMPLATE]: an empty database, or a copy of TEMPLATE.
pg_new_database() {
  psql -q "$PG_URI_BASE/postgres" -c "CREATE DATABASE $1${2:+ TEMPLATE $2}" >/dev/null && echo "$PG_URI_BASE/$1"
}

pg_stop() {
  pg_server_stop
  [ -z "${PG_DIR:-}" ] || rm -rf "$PG_DIR"
  PG_DIR=""
}
