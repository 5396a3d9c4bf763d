-- Restore soft-deleted rows in scope that the listing returned again.
UPDATE {table} AS t SET deleted_at = NULL, sync_run_id = %(run_id)s
WHERE t.deleted_at IS NOT NULL AND {scope}
  AND EXISTS (SELECT 1 FROM {ids} AS i WHERE i.id = t.id)
