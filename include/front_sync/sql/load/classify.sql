-- The conflict rules, in order, for incoming rows whose id is already stored (others stay 'created'):
-- 1 stale: older Front timestamp than stored; 2 conflict: stored row edited locally after the incoming
-- Front timestamp; 3 unchanged: same content hash; 4 otherwise updated.
UPDATE {stage} AS s
SET _outcome = CASE
    WHEN {stale_condition} THEN 'stale'
    WHEN t.local_updated_at IS NOT NULL AND {local_edit_newer} THEN 'conflict'
    WHEN t.row_hash = s.row_hash THEN 'unchanged'
    ELSE 'updated'
END
FROM {table} AS t
WHERE t.id = s.id
