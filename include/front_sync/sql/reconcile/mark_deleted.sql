-- Soft-delete live rows in scope that the completed listing did not return, as of the listing's view
-- %(view_at)s (null: now), unless a newer view of the row was written meanwhile (the version rule). Rows already
-- soft-deleted keep their own view time (re-stamping them every night would rewrite them all).
UPDATE {table} AS t
SET deleted_at = now(), sync_run_id = %(run_id)s,
    view_at = COALESCE(%(view_at)s::numeric, round(extract(epoch FROM clock_timestamp()), 3)),
    observed_at = COALESCE(%(view_at)s::numeric, round(extract(epoch FROM clock_timestamp()), 3))
WHERE t.deleted_at IS NULL AND {scope}
  AND COALESCE(t.view_at, -1) <= COALESCE(%(view_at)s::numeric, round(extract(epoch FROM clock_timestamp()), 3))
  AND NOT EXISTS (SELECT 1 FROM {ids} AS i WHERE i.id = t.id)
