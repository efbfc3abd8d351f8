-- Sites, their deployments and routes, and what deployments report.
CREATE TABLE site (
  id            INTEGER PRIMARY KEY,
  name          TEXT NOT NULL UNIQUE,
  client_id     INTEGER REFERENCES client(id) ON DELETE RESTRICT,
  service_id    INTEGER NOT NULL REFERENCES service(id) ON DELETE RESTRICT,
  enabled       INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
  launched      INTEGER NOT NULL DEFAULT 0 CHECK (launched IN (0, 1)),
  protected     INTEGER NOT NULL DEFAULT 0 CHECK (protected IN (0, 1)),
  created_at    TEXT NOT NULL
);

CREATE TABLE deployment (
  id          INTEGER PRIMARY KEY,
  name        TEXT NOT NULL UNIQUE,
  service_id  INTEGER NOT NULL REFERENCES service(id) ON DELETE RESTRICT,
  host_id     INTEGER NOT NULL REFERENCES host(id) ON DELETE RESTRICT,
  site_id     INTEGER REFERENCES site(id) ON DELETE SET NULL,
  stage       TEXT NOT NULL DEFAULT 'provision'
              CHECK (stage IN ('provision', 'allocate', 'lock', 'archive', 'removed')),
  status      INTEGER NOT NULL DEFAULT 0 CHECK (status IN (0, 1, 5, 8, 9)),
  active      INTEGER NOT NULL DEFAULT 0 CHECK (active IN (0, 1)),
  label       TEXT NOT NULL DEFAULT '',
  directory   TEXT NOT NULL,
  params      TEXT NOT NULL DEFAULT '{}',
  created_at  TEXT NOT NULL,
  ready_at    TEXT
);
CREATE INDEX deployment_site ON deployment(site_id);
CREATE INDEX deployment_service_stage ON deployment(service_id, stage);
-- Rule 1 of docs/RULES.md (at most one active deployment per site), held by the database itself.
CREATE UNIQUE INDEX deployment_one_active ON deployment(site_id) WHERE active = 1;

CREATE TABLE route (
  id               INTEGER PRIMARY KEY,
  source           TEXT NOT NULL UNIQUE,
  site_id          INTEGER NOT NULL REFERENCES site(id) ON DELETE CASCADE,
  router_id        INTEGER REFERENCES host(id) ON DELETE RESTRICT,
  active           INTEGER NOT NULL DEFAULT 0 CHECK (active IN (0, 1)),
  is_primary       INTEGER NOT NULL DEFAULT 0 CHECK (is_primary IN (0, 1)),
  active_on_launch INTEGER NOT NULL DEFAULT 0 CHECK (active_on_launch IN (0, 1)),
  created_at       TEXT NOT NULL
);
CREATE UNIQUE INDEX route_one_primary ON route(site_id) WHERE is_primary = 1;

CREATE TABLE fact (
  deployment_id INTEGER NOT NULL REFERENCES deployment(id) ON DELETE CASCADE,
  key           TEXT NOT NULL,
  value         TEXT NOT NULL,
  PRIMARY KEY (deployment_id, key)
);

CREATE TABLE package (
  deployment_id INTEGER NOT NULL REFERENCES deployment(id) ON DELETE CASCADE,
  name          TEXT NOT NULL,
  version       TEXT NOT NULL,
  PRIMARY KEY (deployment_id, name)
);
