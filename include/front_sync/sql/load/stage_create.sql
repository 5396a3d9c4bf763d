-- A per-batch staging table shaped like the target, plus the outcome of each incoming row.
CREATE TEMP TABLE {stage} (LIKE {table} INCLUDING DEFAULTS, _outcome text NOT NULL DEFAULT 'created') ON COMMIT DROP
