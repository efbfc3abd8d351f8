-- Which deployments are reserve copies: made by `reserve refill` (or
-- `deployservice --reserve`), handed to `site create`, pruned when expired.
-- Any other deployment, labelled or not, is never taken nor pruned. Copies
-- that the reserve would have taken before this flag keep that role.
ALTER TABLE deployment ADD COLUMN reserve INTEGER NOT NULL DEFAULT 0 CHECK (reserve IN (0, 1));
UPDATE deployment SET reserve = 1
  WHERE stage = 'provision' AND site_id IS NULL AND client_id IS NULL AND label IN ('', 'reserve');
