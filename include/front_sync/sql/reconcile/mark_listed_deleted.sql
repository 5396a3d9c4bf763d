-- Soft-delete the listed rows (Front reported them gone), if not already.
UPDATE {table} AS t SET deleted_at = now(), sync_run_id = %(run_id)s
FROM (SELECT DISTINCT id FROM {ids}) AS i
WHERE t.id = i.id AND t.deleted_at IS NULL
