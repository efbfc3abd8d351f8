-- Commands, their tasks, and the full logs (statuses: docs/RULES.md).
CREATE TABLE command (
  id               INTEGER PRIMARY KEY,
  action           TEXT NOT NULL,               -- "host exec", "host verify", "install", ...
  object_type      TEXT NOT NULL,               -- "host", "site", "deployment", "service"
  object_name      TEXT NOT NULL,
  status           INTEGER NOT NULL DEFAULT 0 CHECK (status IN (0, 1, 5, 8, 9)),
  interrupted      INTEGER NOT NULL DEFAULT 0 CHECK (interrupted IN (0, 1)),
  cancel_requested INTEGER NOT NULL DEFAULT 0 CHECK (cancel_requested IN (0, 1)),
  user             TEXT NOT NULL,
  argv             TEXT NOT NULL,
  pid              INTEGER,                     -- the hostctl process running it
  pid_start        INTEGER,                     -- its start time, so a reused pid is not mistaken for it
  error            TEXT,
  created_at       TEXT NOT NULL,
  started_at       TEXT,
  finished_at      TEXT
);
CREATE INDEX command_status ON command(status);
-- One outstanding command per (action, object): the duplicate guard.
CREATE UNIQUE INDEX command_outstanding ON command(action, object_type, object_name) WHERE status IN (0, 1);

CREATE TABLE task (
  id            INTEGER PRIMARY KEY,
  command_id    INTEGER NOT NULL REFERENCES command(id) ON DELETE CASCADE,
  seq           INTEGER NOT NULL,               -- order within the command
  lane          INTEGER NOT NULL DEFAULT 0,     -- tasks of one lane run in order; lanes run in parallel
  host_id       INTEGER REFERENCES host(id) ON DELETE SET NULL,
  host_name     TEXT NOT NULL,
  deployment_id INTEGER REFERENCES deployment(id) ON DELETE SET NULL,
  name          TEXT NOT NULL,
  script        TEXT NOT NULL,
  rollback      TEXT NOT NULL DEFAULT '',
  env           TEXT NOT NULL DEFAULT '[]',     -- JSON [[name, value], ...]
  timeout       INTEGER NOT NULL,
  status        INTEGER NOT NULL DEFAULT 0 CHECK (status IN (0, 1, 5, 8, 9)),
  exit_code     INTEGER,
  error         TEXT,
  progress      TEXT,
  started_at    TEXT,
  finished_at   TEXT,
  UNIQUE (command_id, seq)
);
CREATE INDEX task_status ON task(status);

CREATE TABLE task_log (
  id      INTEGER PRIMARY KEY,
  task_id INTEGER NOT NULL REFERENCES task(id) ON DELETE CASCADE,
  at      TEXT NOT NULL,
  stream  TEXT NOT NULL CHECK (stream IN ('out', 'err', 'sys')),
  line    TEXT NOT NULL
);
CREATE INDEX task_log_task ON task_log(task_id, id);

-- Every @hostctl directive a task printed.
CREATE TABLE directive (
  task_id INTEGER NOT NULL REFERENCES task(id) ON DELETE CASCADE,
  kind    TEXT NOT NULL CHECK (kind IN ('set', 'package', 'usage', 'progress')),
  key     TEXT NOT NULL,
  value   TEXT NOT NULL
);
CREATE INDEX directive_task ON directive(task_id);

CREATE TABLE usage (
  id            INTEGER PRIMARY KEY,
  deployment_id INTEGER NOT NULL REFERENCES deployment(id) ON DELETE CASCADE,
  metric        TEXT NOT NULL,
  value         REAL NOT NULL,
  at            TEXT NOT NULL
);
CREATE INDEX usage_deployment ON usage(deployment_id, at);
