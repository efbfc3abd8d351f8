-- A preview route serves one deployment of its site (a test copy beside
-- production) instead of the site's active one.
ALTER TABLE route ADD COLUMN deployment_id INTEGER REFERENCES deployment(id);
