-- Soft-delete the listed rows (Front reported them gone) as of the view %(view_at)s (null: now), unless a newer
-- view of the row was written meanwhile (the version rule); a row already soft-deleted takes the newer view time.
-- Returns how many live rows were soft-deleted (deleted_at = now() only for those: the transaction's start).
WITH gone AS (
    UPDATE {table} AS t
    SET deleted_at = COALESCE(t.deleted_at, now()), view_at = v.at, observed_at = v.at,
        sync_run_id = CASE WHEN t.deleted_at IS NULL THEN %(run_id)s ELSE t.sync_run_id END
    FROM (SELECT DISTINCT id FROM {ids}) AS i,
         (SELECT COALESCE(%(view_at)s::numeric, round(extract(epoch FROM clock_timestamp()), 3)) AS at) AS v
    WHERE t.id = i.id AND COALESCE(t.view_at, -1) <= v.at
      AND (t.deleted_at IS NULL OR t.view_at IS DISTINCT FROM v.at)
    RETURNING t.deleted_at = now() AS newly
)
SELECT count(*) FILTER (WHERE newly) FROM gone
