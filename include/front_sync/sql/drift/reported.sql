-- Mark drift rows as sent (each new drift is reported once).
UPDATE front.schema_drift SET reported_at = now()
WHERE reported_at IS NULL AND (resource, kind, field_path) IN (
    SELECT * FROM unnest(%(resources)s::text[], %(kinds)s::text[], %(paths)s::text[]))
