-- A backup's test restore (`backup verify`): when it last ran and whether it
-- passed, so "the last good backup" that retention keeps is the last one whose
-- restore was proven, when one was.
ALTER TABLE backup ADD COLUMN verified_at TEXT;
ALTER TABLE backup ADD COLUMN verify_status INTEGER CHECK (verify_status IN (5, 9));
