#!/usr/bin/env bash
# Scale: a catalog with 100,000 sites, 300,000 deployments and 1,000,000 log
# lines; times `site list`, `site show`, `reserve status` and `task list
# --failed` beside sqlite3 running the same queries, in one run (median of 7).
# With --postgres the catalog is on a PostgreSQL server started on loopback
# (tests/rig/postgres.sh) and the same SQL runs in psql; then queue claims per
# second with 1, 4 and 16 workers and the cost of opening the catalog are
# measured on both engines (bench_claims), side by side.
#   bench/scale.sh [--postgres] [BUILD_DIR]
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
postgres=0
if [ "${1:-}" = --postgres ]; then postgres=1; shift; fi
BUILD=${1:-$ROOT/build}
H=$BUILD/hostctl
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
if [ "$postgres" = 1 ]; then
  . "$ROOT/tests/rig/postgres.sh"
  pg_start
  trap 'pg_stop; rm -rf "$WORK"' EXIT
  export HOSTCTL_CATALOG=$(pg_new_database scale)
else
  export HOSTCTL_CATALOG="$WORK/catalog.db"
fi
$H init -q >/dev/null
$H host add control --transport local --base-dir "$WORK/srv" --capacity 1000000 -q >/dev/null
$H client add acme -q >/dev/null
$H createservice "$ROOT/schemas/examples/static-site/service.yaml" -q >/dev/null
echo "filling the catalog..." >&2
if [ "$postgres" = 1 ]; then
  psql -q -v ON_ERROR_STOP=1 "$HOSTCTL_CATALOG" <<'SQL'
BEGIN;
INSERT INTO site(id, name, client_id, service_id, created_at)
SELECT i, 's' || i, 1, 1, '2026-01-01T00:00:00Z' FROM generate_series(1, 100000) i;
INSERT INTO deployment(id, name, service_id, host_id, site_id, stage, status, active, directory, created_at, ready_at)
SELECT i, 'static-site-' || i, 1, 1, CASE WHEN i <= 280000 THEN (i - 1) % 100000 + 1 END,
       CASE WHEN i <= 100000 THEN 'allocate' WHEN i <= 280000 THEN 'lock' ELSE 'provision' END, 5,
       CASE WHEN i <= 100000 THEN 1 ELSE 0 END, '/srv/d' || i, '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z'
FROM generate_series(1, 300000) i;
INSERT INTO route(id, source, site_id, router_id, active, is_primary, created_at)
SELECT i, 's' || i || '.test', i, 1, 1, 1, '2026-01-01T00:00:00Z' FROM generate_series(1, 100000) i;
INSERT INTO command(id, action, object_type, object_name, status, actor, argv, error, created_at)
SELECT i, 'install', 'deployment', 'static-site-' || i, CASE WHEN i % 50 = 0 THEN 9 ELSE 5 END, 'root', '[]',
       CASE WHEN i % 50 = 0 THEN 'exit code 1' END, '2026-01-01T00:00:00Z' FROM generate_series(1, 20000) i;
INSERT INTO task(id, command_id, seq, host_id, host_name, name, script, timeout, status)
SELECT id, id, 1, 1, 'control', 'install/docroot', 'true', 60, status FROM command;
INSERT INTO task_log(task_id, at, stream, line)
SELECT (i - 1) % 20000 + 1, '2026-01-01T00:00:00Z', 'out', 'line ' || i FROM generate_series(1, 1000000) i;
COMMIT;
ANALYZE;
SQL
else
sqlite3 "$HOSTCTL_CATALOG" <<'SQL'
PRAGMA journal_mode = WAL;
BEGIN;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100000)
INSERT INTO site(id, name, client_id, service_id, created_at) SELECT i, 's' || i, 1, 1, '2026-01-01T00:00:00Z' FROM n;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 300000)
INSERT INTO deployment(id, name, service_id, host_id, site_id, stage, status, active, directory, created_at, ready_at)
SELECT i, 'static-site-' || i, 1, 1, CASE WHEN i <= 280000 THEN (i - 1) % 100000 + 1 END,
       CASE WHEN i <= 100000 THEN 'allocate' WHEN i <= 280000 THEN 'lock' ELSE 'provision' END, 5,
       CASE WHEN i <= 100000 THEN 1 ELSE 0 END, '/srv/d' || i, '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z' FROM n;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100000)
INSERT INTO route(id, source, site_id, router_id, active, is_primary, created_at)
SELECT i, 's' || i || '.test', i, 1, 1, 1, '2026-01-01T00:00:00Z' FROM n;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000)
INSERT INTO command(id, action, object_type, object_name, status, actor, argv, error, created_at)
SELECT i, 'install', 'deployment', 'static-site-' || i, CASE WHEN i % 50 = 0 THEN 9 ELSE 5 END, 'root', '[]',
       CASE WHEN i % 50 = 0 THEN 'exit code 1' END, '2026-01-01T00:00:00Z' FROM n;
INSERT INTO task(id, command_id, seq, host_id, host_name, name, script, timeout, status)
SELECT id, id, 1, 1, 'control', 'install/docroot', 'true', 60, status FROM command;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000000)
INSERT INTO task_log(task_id, at, stream, line) SELECT (i - 1) % 20000 + 1, '2026-01-01T00:00:00Z', 'out', 'line ' || i FROM n;
COMMIT;
ANALYZE;
SQL
fi

# Median wall time of 7 runs, in ms with one decimal.
median_ms() {
  local times=() i s
  for i in 1 2 3 4 5 6 7; do
    s=$(date +%s%N)
    "$@" >/dev/null
    times+=($(( ($(date +%s%N) - s) / 1000 )))
  done
  printf '%s\n' "${times[@]}" | sort -n | sed -n 4p | awk '{ printf "%.1f", $1 / 1000 }'
}
# The engine's own client: sqlite3 in its default list mode, and with -json so
# both sides print JSON; psql unaligned, and with each row as JSON.
# psql itself, not Debian's Perl wrapper in /usr/bin (150 ms of start-up).
if [ "$postgres" = 1 ]; then
  client=psql
  sq() { "$PG_BIN/psql" -qAt "$HOSTCTL_CATALOG" -c "$1"; }
  sqj() {  # each statement's rows as one JSON array, on one connection
    local stmt args=()
    IFS=';' read -ra stmts <<<"$1"
    for stmt in "${stmts[@]}"; do args+=(-c "SELECT json_agg(r) FROM ($stmt) r"); done
    "$PG_BIN/psql" -qAt "$HOSTCTL_CATALOG" "${args[@]}"
  }
else
  client=sqlite3
  sq() { sqlite3 "$HOSTCTL_CATALOG" "$1"; }
  sqj() { sqlite3 -json "$HOSTCTL_CATALOG" "$1"; }
fi
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2fx", (b > 0 ? a / b : 0) }'; }
row() {
  local what=$1 sql=$2 ours theirs theirs_json
  shift 2
  ours=$(median_ms "$H" "$@")
  theirs=$(median_ms sq "$sql")
  theirs_json=$(median_ms sqj "$sql")
  printf '%-32s %9s ms %9s ms %6s %9s ms %6s\n' "$what" "$ours" "$theirs" "$(ratio "$ours" "$theirs")" \
    "$theirs_json" "$(ratio "$ours" "$theirs_json")"
}
printf '%-32s %12s %12s %6s %12s %6s\n' "query" "hostctl" "$client" "ratio" "$client-json" "ratio"
row "site list (100,000 sites, json)" "SELECT s.id, s.name, c.name, sv.name, s.enabled, s.launched, (SELECT name FROM deployment WHERE site_id = s.id AND active = 1), (SELECT source FROM route WHERE site_id = s.id AND is_primary = 1) FROM site s JOIN service sv ON sv.id = s.service_id LEFT JOIN client c ON c.id = s.client_id ORDER BY s.name" \
  site list -o json
row "site show s50000" "SELECT * FROM site WHERE name = 's50000'; SELECT * FROM deployment WHERE site_id = 50000; SELECT * FROM route WHERE site_id = 50000" \
  site show s50000 -o json
row "reserve status" "SELECT name, status, ready_at FROM deployment WHERE service_id = 1 AND stage = 'provision' AND site_id IS NULL AND client_id IS NULL" \
  reserve status static-site -o json
row "task list --failed" "SELECT * FROM command WHERE status = 9 ORDER BY id DESC LIMIT 50" \
  task list --failed -o json
echo "targets: each within 2x of $client; site show, reserve status and task list --failed under 50 ms"
if [ "$postgres" = 1 ]; then
  echo
  echo "queue claims and opening the catalog, SQLite beside PostgreSQL (bench_claims):"
  HOSTCTL_CATALOG="$WORK/claims.db" "$H" init -q >/dev/null
  claims_pg=$(pg_new_database claims)
  HOSTCTL_CATALOG="$claims_pg" "$H" init -q >/dev/null
  paste <("$BUILD/bench_claims" "$WORK/claims.db" | sed 's/^/sqlite: /') \
        <("$BUILD/bench_claims" "$claims_pg" | sed 's/^/postgresql: /') | column -t -s $'\t'
fi
