-- Fallback when a concurrent load inserted some of the new ids meanwhile: upsert them under the same version
-- guard as updates. Returns each row written and whether it was inserted.
INSERT INTO {table} AS t ({columns})
SELECT {values} FROM {stage} AS s
ON CONFLICT (id) DO UPDATE
SET {assignments}, deleted_at = NULL, last_synced_at = now()
WHERE (COALESCE(t.view_at, -1), COALESCE(t.observed_at, -1))
   <= (COALESCE(excluded.view_at, -1), COALESCE(excluded.observed_at, -1))
RETURNING t.id, (t.xmax = 0)
