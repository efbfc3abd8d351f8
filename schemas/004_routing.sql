-- Router settings on hosts, backups, and what a deployment was cloned from.
ALTER TABLE host ADD COLUMN nginx_bin TEXT NOT NULL DEFAULT '/usr/sbin/nginx';
ALTER TABLE host ADD COLUMN nginx_conf TEXT NOT NULL DEFAULT '';           -- '' : nginx's own default
ALTER TABLE host ADD COLUMN router_dir TEXT NOT NULL DEFAULT '/etc/nginx/hostctl.d';
ALTER TABLE host ADD COLUMN http_listen TEXT NOT NULL DEFAULT '80';        -- nginx "listen" value
ALTER TABLE deployment ADD COLUMN cloned_from INTEGER REFERENCES deployment(id) ON DELETE SET NULL;

CREATE TABLE backup (
  id            INTEGER PRIMARY KEY,
  site_id       INTEGER REFERENCES site(id) ON DELETE SET NULL,
  site_name     TEXT NOT NULL,
  deployment_id INTEGER REFERENCES deployment(id) ON DELETE SET NULL,
  host_id       INTEGER REFERENCES host(id) ON DELETE SET NULL,
  path          TEXT NOT NULL,
  size          INTEGER,
  sha256        TEXT,
  status        INTEGER NOT NULL DEFAULT 0 CHECK (status IN (0, 1, 5, 8, 9)),
  created_at    TEXT NOT NULL
);
CREATE INDEX backup_site ON backup(site_id);
ALTER TABLE deployment ADD COLUMN client_id INTEGER REFERENCES client(id) ON DELETE SET NULL;
