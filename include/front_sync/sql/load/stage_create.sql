-- Full rows of changed and conflicting records, shaped like the target.
CREATE TEMP TABLE {stage} (LIKE {table} INCLUDING DEFAULTS INCLUDING COMPRESSION) ON COMMIT DROP
