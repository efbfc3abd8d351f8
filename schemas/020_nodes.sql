-- The control node a running command belongs to, and how long its claim holds
-- unless renewed: another node judges the command by its lease, never by a pid
-- it cannot see. Commands recorded before have no node (judged by their pid).
ALTER TABLE command ADD COLUMN node TEXT NOT NULL DEFAULT '';
ALTER TABLE command ADD COLUMN lease_until TEXT;
