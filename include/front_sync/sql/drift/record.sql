-- One batch's drift, counted into front.schema_drift (arrays of equal length: one element per field path).
INSERT INTO front.schema_drift AS d (resource, kind, field_path, example_path, records, batches, first_run_id,
                                     last_run_id)
SELECT %(resource)s, kind, field_path, example_path, records, 1, %(run_id)s, %(run_id)s
FROM unnest(%(kinds)s::text[], %(paths)s::text[], %(examples)s::text[], %(records)s::bigint[])
     AS t(kind, field_path, example_path, records)
ON CONFLICT (resource, kind, field_path) DO UPDATE
SET records = d.records + excluded.records,
    batches = d.batches + 1,
    last_seen_at = now(),
    last_run_id = excluded.last_run_id
