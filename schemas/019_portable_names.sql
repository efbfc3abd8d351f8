-- Names every SQL engine reads the same way: in PostgreSQL an unquoted `user`
-- is the session's user, not a column, so the columns of that name are renamed.
ALTER TABLE host RENAME COLUMN user TO login_user;
ALTER TABLE command RENAME COLUMN user TO actor;
ALTER TABLE audit RENAME COLUMN user TO actor;
