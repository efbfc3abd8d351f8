-- A redirect route answers 301 to its site's primary route, keeping the path.
ALTER TABLE route ADD COLUMN redirect INTEGER NOT NULL DEFAULT 0;
