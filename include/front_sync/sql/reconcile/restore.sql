-- Restore soft-deleted rows in scope that the listing returned again, unless they were seen gone in a view newer
-- than the listing's (%(view_at)s, null: now); the row keeps its view time.
UPDATE {table} AS t SET deleted_at = NULL, sync_run_id = %(run_id)s
WHERE t.deleted_at IS NOT NULL AND {scope}
  AND COALESCE(t.view_at, -1) <= COALESCE(%(view_at)s::numeric, round(extract(epoch FROM clock_timestamp()), 3))
  AND EXISTS (SELECT 1 FROM {ids} AS i WHERE i.id = t.id)
