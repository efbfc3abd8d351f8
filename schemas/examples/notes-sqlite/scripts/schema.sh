#!/bin/sh
set -eu
command -v sqlite3 >/dev/null || { echo "sqlite3 is not installed on this host" >&2; exit 3; }
sqlite3 "$HOSTCTL_ROOT/data/notes.db" <<'SQL'
CREATE TABLE IF NOT EXISTS note (id INTEGER PRIMARY KEY, body TEXT NOT NULL,
                                 created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ','now')));
SQL
echo "@hostctl set schema=1"
