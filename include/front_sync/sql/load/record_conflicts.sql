-- Keep both versions of each conflicting row for review, once per distinct incoming version.
INSERT INTO front.sync_conflicts (resource, record_id, stored_row, incoming_row, incoming_hash, sync_run_id)
SELECT %(resource)s, s.id, to_jsonb(t) - 'raw', s.raw, s.row_hash, s.sync_run_id
FROM {stage} AS s
JOIN {keys} AS k ON k.id = s.id AND k._outcome = 'conflict'
JOIN {table} AS t ON t.id = s.id
WHERE NOT EXISTS (
    SELECT 1 FROM front.sync_conflicts AS c
    WHERE c.resource = %(resource)s AND c.record_id = s.id AND c.incoming_hash = s.row_hash AND c.resolved_at IS NULL
)
