-- Apply changed rows. The version guard is checked again on the row as it is when locked, so a newer view
-- committed by a concurrent load meanwhile is never overwritten; the ids returned are the rows really updated.
-- A view at least as new as the stored one also undoes a soft delete (the row was seen live since).
UPDATE {table} AS t
SET {assignments}, deleted_at = NULL, last_synced_at = now()
FROM {stage} AS s
JOIN {keys} AS k ON k.id = s.id AND k._outcome = 'updated'
WHERE t.id = s.id
  AND (COALESCE(t.view_at, -1), COALESCE(t.observed_at, -1)) <= (COALESCE(s.view_at, -1), COALESCE(s.observed_at, -1))
RETURNING t.id
