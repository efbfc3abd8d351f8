-- Sites whose record in their active deployment's manifest (client, launch
-- state, routes: what host import brings back) is behind the catalog. A change
-- bumps `serial`; `queue run tasks` rewrites the manifest and drops the row if
-- no change came meanwhile.
CREATE TABLE site_record_due (
  site_id INTEGER PRIMARY KEY REFERENCES site(id) ON DELETE CASCADE,
  serial  INTEGER NOT NULL
);
