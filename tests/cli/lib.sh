# Test harness for driving the real hostctl binary (sourced by tNNNN-*.sh).
# Each test file runs in a fresh temporary HOME with every HOSTCTL_* variable
# cleared, and ends with a "N passed, N failed" line. With
# HOSTCTL_TEST_ENGINE=postgresql the catalog is a database of a real
# PostgreSQL server the file starts (a fresh database each reset).
set -u

: "${HOSTCTL_BIN:?HOSTCTL_BIN must point at the built hostctl}"
: "${HOSTCTL_SOURCE_DIR:?HOSTCTL_SOURCE_DIR must point at the source tree}"
EXAMPLES="$HOSTCTL_SOURCE_DIR/schemas/examples"

reset_environment() {
  local var
  for var in $(env | sed -n 's/^\(HOSTCTL_[A-Z_]*\)=.*/\1/p'); do
    case $var in HOSTCTL_BIN | HOSTCTL_SOURCE_DIR | HOSTCTL_TEST_CLOCK | HOSTCTL_TEST_ENGINE) ;; *) unset "$var" ;; esac
  done
  unset NO_COLOR XDG_CONFIG_HOME XDG_DATA_HOME
  WORK=$(mktemp -d "${TMPDIR:-/tmp}/hostctl-test.XXXXXX")
  export HOME="$WORK/home"
  mkdir -p "$HOME"
  if [ "${HOSTCTL_TEST_ENGINE:-sqlite}" = postgresql ]; then
    [ -n "${PG_DIR:-}" ] || pg_start || exit 1
    PG_DATABASES=$((${PG_DATABASES:-0} + 1))
    HOSTCTL_CATALOG=$(pg_new_database "catalog$PG_DATABASES") || exit 1
    export HOSTCTL_CATALOG
  else
    export HOSTCTL_CATALOG="$WORK/catalog.db"
  fi
}

cleanup_environment() { rm -rf "$WORK"; }

# Holds hostctl's named lock NAME ("reserve", "queue-cron") for SECONDS in the
# background, as another node would, and returns once it is held (HOLDER_PID):
# a flock file beside a SQLite catalog, a session advisory lock (its key as
# lib/catalog/postgres_backend.cpp makes it) on PostgreSQL.
hold_catalog_lock() {
  if is_postgres; then
    local key
    key=$(python3 -c 'import sys
h = 2166136261
for c in sys.argv[1].encode(): h = ((h ^ c) * 16777619) % 2**32
print(h - 2**32 if h >= 2**31 else h)' "$1")
    PGAPPNAME="holder of $1" psql -qAt "$HOSTCTL_CATALOG" \
      -c "SELECT pg_advisory_lock($((0x686f7374)), $key)" -c "SELECT pg_sleep($2)" >/dev/null &
    HOLDER_PID=$!
    until [ "$(catalog_sql "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted AND
                            objid = $(((key + 2**32) % 2**32))")" = 1 ]; do sleep 0.05; done
  else
    flock "$HOSTCTL_CATALOG.$1.lock" sleep "$2" &
    HOLDER_PID=$!
    while flock -n "$HOSTCTL_CATALOG.$1.lock" true; do sleep 0.05; done
  fi
}

# The location of another, empty catalog on the engine under test: a new
# database on PostgreSQL, a file in $WORK on SQLite. NAME is unique per test.
other_catalog() {
  if is_postgres; then pg_new_database "${1}_$PG_DATABASES"; else echo "$WORK/$1.db"; fi
}
# The location of a copy of the catalog under test, made outside hostctl.
catalog_snapshot() {
  if is_postgres; then
    pg_new_database "${1}_$PG_DATABASES" "${HOSTCTL_CATALOG##*/}"
  else
    sqlite3 "$HOSTCTL_CATALOG" ".backup '$WORK/$1.db'" && echo "$WORK/$1.db"
  fi
}

# SQL on the catalog, as sqlite3 or psql prints it (columns joined by |).
catalog_sql() {
  if [ "${HOSTCTL_TEST_ENGINE:-sqlite}" = postgresql ]; then
    psql -qAt -v ON_ERROR_STOP=1 "$HOSTCTL_CATALOG" -c "$1"
  else
    sqlite3 "$HOSTCTL_CATALOG" "$1"
  fi
}
is_postgres() { [ "${HOSTCTL_TEST_ENGINE:-sqlite}" = postgresql ]; }

PASSED=0
FAILED=0
CURRENT=""
CURRENT_OK=1

TEST() {
  finish_test
  CURRENT=$1
  CURRENT_OK=1
}

finish_test() {
  [ -n "$CURRENT" ] || return 0
  if [ "$CURRENT_OK" = 1 ]; then
    PASSED=$((PASSED + 1))
    echo "ok - $CURRENT"
  else
    FAILED=$((FAILED + 1))
    echo "not ok - $CURRENT"
  fi
  CURRENT=""
}

fail() {
  CURRENT_OK=0
  echo "  FAIL: $*" >&2
  echo "  command: ${LAST_CMD:-}" >&2
  echo "  stdout: $(head -c 2000 "$WORK/out" 2>/dev/null)" >&2
  echo "  stderr: $(head -c 2000 "$WORK/err" 2>/dev/null)" >&2
}

# Runs hostctl (or any command with run_cmd) with stdin closed, keeping
# stdout, stderr and the exit status in OUT, ERR and RC.
hc() { run_cmd "$HOSTCTL_BIN" "$@"; }
run_cmd() {
  LAST_CMD="$*"
  "$@" >"$WORK/out" 2>"$WORK/err" </dev/null
  RC=$?
  OUT=$(cat "$WORK/out")
  ERR=$(cat "$WORK/err")
}

expect_rc() { [ "$RC" = "$1" ] || fail "exit status $RC, expected $1"; }
expect_out() { [ "$OUT" = "$1" ] || fail "stdout is not '$1'"; }
expect_out_has() { printf '%s' "$OUT" | grep -qF -- "$1" || fail "stdout lacks '$1'"; }
expect_err_has() { printf '%s' "$ERR" | grep -qF -- "$1" || fail "stderr lacks '$1'"; }
expect_err_empty() { [ -z "$ERR" ] || fail "stderr is not empty"; }
expect_out_empty() { [ -z "$OUT" ] || fail "stdout is not empty"; }
expect_json() { printf '%s' "$OUT" | python3 -c "import json,sys; d=json.load(sys.stdin); assert $1, d" 2>/dev/null ||
  fail "JSON check failed: $1"; }
expect_true() { "$@" || fail "not true: $*"; }
# Runs CMD every 0.1 s until it succeeds, or fails the test after SECONDS.
# Generous on purpose: CI runs these files beside the load test.
wait_until() {
  local deadline=$(( $(date +%s) + $1 )); shift
  until "$@"; do
    [ "$(date +%s)" -lt "$deadline" ] || { fail "waited in vain for: $*"; return 1; }
    sleep 0.1
  done
}

# Everything in a catalog as text (sqlite3 .dump, pg_dump --data-only): LOCATION, or the one under test.
catalog_dump() {
  local location=${1:-$HOSTCTL_CATALOG}
  case $location in
  postgresql://*) pg_dump --data-only "$location" ;;
  *) sqlite3 "$location" .dump ;;
  esac
}
# A digest of everything in the catalog, to prove a refusal changed nothing.
# On PostgreSQL, without the sequences' positions (a rolled-back insert uses a
# number up too) and the random \restrict key each dump carries.
catalog_digest() {  # [LOCATION]
  catalog_dump "$@" >/dev/null 2>&1 || { echo "cannot dump the catalog" >&2; return 1; }
  catalog_dump "$@" 2>/dev/null | grep -v -e "setval" -e '^\\restrict' -e '^\\unrestrict' | sha256sum | cut -d' ' -f1
}
# Whether any of the texts is anywhere in the catalog's files, freed pages and
# WAL included: the SQLite file and its -wal, or the PostgreSQL server's data directory.
catalog_files_hold() {
  local patterns=() text
  for text; do patterns+=(-e "$text"); done
  if is_postgres; then grep -rqaF "${patterns[@]}" "$PG_DIR/data"; else grep -qaF "${patterns[@]}" "$HOSTCTL_CATALOG"*; fi
}
# The secret key file of the catalog under test (lib/secrets/secrets.cpp key_path).
catalog_key_file() {
  case $HOSTCTL_CATALOG in
  postgresql://*)
    local where=${HOSTCTL_CATALOG#*://}
    where=${where#*@}
    printf '%s/.local/share/hostctl/%s.key\n' "$HOME" "$(printf %s "${where%%\?*}" | tr -c 'A-Za-z0-9.-' _)" ;;
  *) echo "$HOSTCTL_CATALOG.key" ;;
  esac
}
expect_catalog_unchanged() {
  [ -n "$1" ] && [ "$(catalog_digest)" = "$1" ] || fail "the catalog changed"
}

done_testing() {
  finish_test
  cleanup_environment
  ! is_postgres || pg_stop
  echo "$PASSED passed, $FAILED failed"
  [ "$FAILED" = 0 ]
}

# HOSTCTL_TEST_CLOCK=+3y (a libfaketime offset) runs every hostctl process of
# the test with its clock moved that far, to prove the test holds on any date.
# The test shell, sshd and nginx keep the real clock, as they would.
move_clock() {
  local lib
  lib=$(ls /usr/lib/*/faketime/libfaketime.so.1 2>/dev/null | head -n 1)
  if [ -z "$lib" ]; then
    echo "skip: libfaketime is not installed (scripts/setup.sh installs faketime)"
    exit 77
  fi
  mkdir -p "$WORK/bin"
  # exec keeps the pid, which the lock and busy messages name.
  cat > "$WORK/bin/hostctl" <<SH
#!/bin/sh
LD_PRELOAD="$lib" FAKETIME="$HOSTCTL_TEST_CLOCK" ASAN_OPTIONS="\${ASAN_OPTIONS:+\$ASAN_OPTIONS:}verify_asan_link_order=0" exec "$HOSTCTL_BIN" "\$@"
SH
  chmod +x "$WORK/bin/hostctl"
  HOSTCTL_BIN="$WORK/bin/hostctl"
  unset HOSTCTL_TEST_CLOCK
}

! is_postgres || . "$HOSTCTL_SOURCE_DIR/tests/rig/postgres.sh"
reset_environment
trap 'rm -rf "$WORK"; ! is_postgres || pg_stop' EXIT
[ -z "${HOSTCTL_TEST_CLOCK:-}" ] || move_clock
