-- After a complete fetch of one conversation's messages (or comments): soft-delete the rows of that conversation
-- Front no longer returned (a deleted draft or comment), as of the fetch's view %(view_at)s (null: now). Left
-- alone: a row written from a newer view (an event emitted after the fetch began: issue 19 item 1) and a row
-- last written after the fetch started (the events path, or another consumer's later fetch: item 5). A row
-- already soft-deleted takes the newer view time. Returns how many live rows were soft-deleted.
WITH gone AS (
    UPDATE {table} AS t
    SET deleted_at = COALESCE(t.deleted_at, now()), view_at = v.at, observed_at = v.at,
        sync_run_id = CASE WHEN t.deleted_at IS NULL THEN %(run_id)s ELSE t.sync_run_id END
    FROM (SELECT COALESCE(%(view_at)s::numeric, round(extract(epoch FROM clock_timestamp()), 3)) AS at) AS v
    WHERE t.conversation_id = %(conversation_id)s AND NOT (t.id = ANY(%(kept)s::text[]))
      AND t.last_synced_at < %(fetch_started)s
      AND COALESCE(t.view_at, -1) <= v.at AND (t.deleted_at IS NULL OR t.view_at IS DISTINCT FROM v.at)
    RETURNING t.deleted_at = now() AS newly
)
SELECT count(*) FILTER (WHERE newly) FROM gone
