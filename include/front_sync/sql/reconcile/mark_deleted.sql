-- Soft-delete live rows in scope that the completed listing did not return.
UPDATE {table} AS t SET deleted_at = now(), sync_run_id = %(run_id)s
WHERE t.deleted_at IS NULL AND {scope}
  AND NOT EXISTS (SELECT 1 FROM {ids} AS i WHERE i.id = t.id)
