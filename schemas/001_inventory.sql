-- Hosts, clients, service plans and the audit trail.
CREATE TABLE host (
  id            INTEGER PRIMARY KEY,
  name          TEXT NOT NULL UNIQUE,
  transport     TEXT NOT NULL DEFAULT 'ssh' CHECK (transport IN ('ssh', 'local')),
  address       TEXT NOT NULL DEFAULT '',
  port          INTEGER NOT NULL DEFAULT 22 CHECK (port BETWEEN 1 AND 65535),
  user          TEXT NOT NULL DEFAULT '',
  identity_file TEXT NOT NULL DEFAULT '',
  capacity      INTEGER NOT NULL DEFAULT 50 CHECK (capacity >= 0),
  base_dir      TEXT NOT NULL DEFAULT '/srv/hostctl',
  verified_at   TEXT,
  verify_result TEXT,
  created_at    TEXT NOT NULL
);

CREATE TABLE host_role (
  host_id INTEGER NOT NULL REFERENCES host(id) ON DELETE CASCADE,
  role    TEXT NOT NULL CHECK (role IN ('web', 'db', 'router')),
  PRIMARY KEY (host_id, role)
);

CREATE TABLE client (
  id         INTEGER PRIMARY KEY,
  name       TEXT NOT NULL UNIQUE,
  email      TEXT NOT NULL DEFAULT '',
  max_sites  INTEGER CHECK (max_sites IS NULL OR max_sites >= 0),
  created_at TEXT NOT NULL
);

CREATE TABLE service (
  id            INTEGER PRIMARY KEY,
  name          TEXT NOT NULL UNIQUE,
  version       INTEGER NOT NULL,
  description   TEXT NOT NULL DEFAULT '',
  price_monthly REAL,
  currency      TEXT,
  yaml          TEXT NOT NULL,
  source_path   TEXT NOT NULL,
  created_at    TEXT NOT NULL,
  updated_at    TEXT NOT NULL
);

-- Scripts referenced by `script:` tasks, stored so hosts get exactly what was registered.
CREATE TABLE service_file (
  service_id INTEGER NOT NULL REFERENCES service(id) ON DELETE CASCADE,
  path       TEXT NOT NULL,
  content    BLOB NOT NULL,
  PRIMARY KEY (service_id, path)
);

CREATE TABLE audit (
  id     INTEGER PRIMARY KEY,
  at     TEXT NOT NULL,
  user   TEXT NOT NULL,
  argv   TEXT NOT NULL,
  action TEXT NOT NULL
);
