-- The conflict rules, in order, for incoming records whose id is already stored (the others stay 'created'):
-- 1 stale: an older view than the stored one ((view_at, observed_at): on equal view_at, as for two copies with the
-- same updated_at, the earlier observation is older; an unknown time is the oldest); 2 conflict: stored row
-- edited locally after the incoming Front timestamp; 3 unchanged: same content hash (and not soft-deleted);
-- 4 otherwise updated.
UPDATE {keys} AS k
SET _outcome = CASE
    WHEN (COALESCE(k.view_at, -1), COALESCE(k.observed_at, -1)) < (COALESCE(t.view_at, -1), COALESCE(t.observed_at, -1))
        THEN 'stale'
    WHEN t.local_updated_at IS NOT NULL AND {local_edit_newer} THEN 'conflict'
    WHEN t.row_hash = k.row_hash AND t.deleted_at IS NULL THEN 'unchanged'
    ELSE 'updated'
END
FROM {table} AS t
WHERE t.id = k.id
