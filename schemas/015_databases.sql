-- Database servers (role db): hostctl runs the engine's client on the host
-- through its SSH session, as db_admin_user; the admin password is a secret.
ALTER TABLE host ADD COLUMN db_engine TEXT NOT NULL DEFAULT '' CHECK (db_engine IN ('', 'mariadb'));
ALTER TABLE host ADD COLUMN db_port INTEGER NOT NULL DEFAULT 3306;
ALTER TABLE host ADD COLUMN db_admin_user TEXT NOT NULL DEFAULT '';
-- A deployment of a plan with `database:` has its own database (and user of
-- the same name) on a db host.
ALTER TABLE deployment ADD COLUMN db_host_id INTEGER REFERENCES host(id);
ALTER TABLE deployment ADD COLUMN db_name TEXT NOT NULL DEFAULT '';
-- Secrets, sealed with a key kept outside the catalog (lib/secrets).
CREATE TABLE secret (
  owner TEXT NOT NULL CHECK (owner IN ('host', 'deployment')),
  owner_id INTEGER NOT NULL,
  name TEXT NOT NULL,
  sealed TEXT NOT NULL,
  created_at TEXT NOT NULL,
  PRIMARY KEY (owner, owner_id, name)
);
