-- The addresses (primary URL and routes) a deployment's routes action last
-- ran with: the action runs again only when they change.
ALTER TABLE deployment ADD COLUMN routes_seen TEXT;
