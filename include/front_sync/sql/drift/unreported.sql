-- Drift not sent yet, oldest first: what the full DAG's report sends (field paths only, never values).
SELECT resource, kind, field_path, example_path, records, batches, first_seen_at
FROM front.schema_drift
WHERE reported_at IS NULL
ORDER BY resource, kind, field_path
FOR UPDATE SKIP LOCKED
