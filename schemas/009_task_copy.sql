-- A task may first copy a file from another host to its own, through the
-- control node's open sessions (SFTP), so `task retry` copies again: the data
-- never sits in the catalog.
ALTER TABLE task ADD COLUMN copy_host_id INTEGER REFERENCES host(id) ON DELETE SET NULL;
ALTER TABLE task ADD COLUMN copy_from TEXT;
ALTER TABLE task ADD COLUMN copy_to TEXT;
