-- A per-batch staging table shaped like a child table.
CREATE TEMP TABLE {stage} (LIKE {table} INCLUDING DEFAULTS) ON COMMIT DROP
