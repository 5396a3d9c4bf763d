-- Apply changed rows. The guard is checked again on the row as it is when locked, so a newer version committed
-- by a concurrent load meanwhile is never overwritten; the ids returned are the rows really updated.
UPDATE {table} AS t
SET {assignments}, deleted_at = NULL, last_synced_at = now()
FROM {stage} AS s
JOIN {keys} AS k ON k.id = s.id AND k._outcome = 'updated'
WHERE t.id = s.id AND ({not_older})
RETURNING t.id
