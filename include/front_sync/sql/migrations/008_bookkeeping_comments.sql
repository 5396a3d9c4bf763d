-- The same bookkeeping columns exist on every entity table; describe them once, for all of them.

DO $$
DECLARE
    tbl text;
    col record;
BEGIN
    FOR tbl IN
        SELECT c.table_name FROM information_schema.columns AS c
        WHERE c.table_schema = 'front' AND c.column_name = 'raw'
    LOOP
        EXECUTE format('COMMENT ON COLUMN front.%I.raw IS %L', tbl,
            'The record as Front sent it (NUL characters removed); fields without a typed column, and unknown ones, live here.');
        EXECUTE format('COMMENT ON COLUMN front.%I.row_hash IS %L', tbl,
            'Hash of raw: a record identical to the stored one is counted unchanged and not rewritten.');
        EXECUTE format('COMMENT ON COLUMN front.%I.first_synced_at IS %L', tbl, 'When the row was first loaded.');
        EXECUTE format('COMMENT ON COLUMN front.%I.last_synced_at IS %L', tbl,
            'When the row was last written (created, updated or restored); unchanged records do not touch it.');
        EXECUTE format('COMMENT ON COLUMN front.%I.sync_run_id IS %L', tbl, 'Airflow run that last wrote the row.');
        EXECUTE format('COMMENT ON COLUMN front.%I.deleted_at IS %L', tbl,
            'Soft delete: set when a completed full listing no longer returned the row, cleared when Front returns it again.');
        EXECUTE format('COMMENT ON COLUMN front.%I.local_updated_at IS %L', tbl,
            'Set by local edits; a sync never overwrites a row edited after the incoming Front timestamp (see sync_conflicts).');
    END LOOP;
    FOR col IN
        SELECT c.table_name, c.column_name FROM information_schema.columns AS c
        WHERE c.table_schema = 'front' AND c.column_name LIKE '%\_ts' AND c.is_generated = 'ALWAYS'
    LOOP
        EXECUTE format('COMMENT ON COLUMN front.%I.%I IS %L', col.table_name, col.column_name,
            left(col.column_name, -3) || ' as a timestamp, for people (generated from the exact epoch seconds).');
    END LOOP;
END
$$;
