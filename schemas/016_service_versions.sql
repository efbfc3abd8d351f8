-- Every version of a plan stays registered: a deployment keeps running the
-- version it was installed with until `site upgrade` moves its site on.
CREATE TABLE service_version (
  service_id INTEGER NOT NULL REFERENCES service(id) ON DELETE CASCADE,
  version    INTEGER NOT NULL,
  yaml       TEXT NOT NULL,
  created_at TEXT NOT NULL,
  PRIMARY KEY (service_id, version)
);
CREATE TABLE service_version_file (
  service_id INTEGER NOT NULL,
  version    INTEGER NOT NULL,
  path       TEXT NOT NULL,
  content    BLOB NOT NULL,
  PRIMARY KEY (service_id, version, path),
  FOREIGN KEY (service_id, version) REFERENCES service_version(service_id, version) ON DELETE CASCADE
);
INSERT INTO service_version(service_id, version, yaml, created_at) SELECT id, version, yaml, updated_at FROM service;
INSERT INTO service_version_file(service_id, version, path, content)
  SELECT f.service_id, s.version, f.path, f.content FROM service_file f JOIN service s ON s.id = f.service_id;
ALTER TABLE deployment ADD COLUMN service_version INTEGER;
UPDATE deployment SET service_version = (SELECT version FROM service WHERE service.id = deployment.service_id);
