-- When each site's scheduled work (cron, backup, stats) last ran, for `queue run`.
CREATE TABLE schedule_run (
  site_id INTEGER NOT NULL REFERENCES site(id) ON DELETE CASCADE,
  kind    TEXT NOT NULL CHECK (kind IN ('cron', 'backup', 'stats')),
  last_at TEXT NOT NULL,
  PRIMARY KEY (site_id, kind)
);
