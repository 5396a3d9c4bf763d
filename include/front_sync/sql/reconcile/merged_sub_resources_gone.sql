-- After a complete fetch of a survivor's messages (or comments): soft-delete the live rows still stored under the
-- conversations merged into it (directly or through a chain of merges) that the fetch did not return. Front moved
-- every sub-resource row of a merged-away conversation to the survivor, so one it no longer returns is gone (issue 19 item
-- 10). The guards of sub_resources_gone.sql apply: not a row written from a newer view, nor one last written after the
-- fetch started. Returns how many rows were soft-deleted.
WITH RECURSIVE merged(id) AS (
    SELECT merged_id FROM front.conversation_merges WHERE survivor_id = %(conversation_id)s
    UNION
    SELECT m.merged_id FROM front.conversation_merges AS m JOIN merged ON m.survivor_id = merged.id
), gone AS (
    UPDATE {table} AS t SET deleted_at = now(), view_at = v.at, observed_at = v.at, sync_run_id = %(run_id)s
    FROM (SELECT COALESCE(%(view_at)s::numeric, round(extract(epoch FROM clock_timestamp()), 3)) AS at) AS v
    WHERE t.conversation_id IN (SELECT id FROM merged) AND t.deleted_at IS NULL
      AND NOT (t.id = ANY(%(kept)s::text[]))
      AND t.last_synced_at < %(fetch_started)s AND COALESCE(t.view_at, -1) <= v.at
    RETURNING 1
)
SELECT count(*) FROM gone
