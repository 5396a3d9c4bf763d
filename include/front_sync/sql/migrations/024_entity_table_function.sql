-- One call gives a new entity table everything every entity table has, so a resource's migration declares only
-- its typed columns: the bookkeeping columns, the local-edit triggers (migration 022), lz4 on raw where the
-- server has it (009), and the columns' comments (008, 021).

CREATE OR REPLACE FUNCTION front.make_entity_table(tbl text) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('ALTER TABLE front.%I
        ADD COLUMN IF NOT EXISTS untyped_fields   jsonb,
        ADD COLUMN IF NOT EXISTS raw              jsonb       NOT NULL,
        ADD COLUMN IF NOT EXISTS row_hash         text        NOT NULL,
        ADD COLUMN IF NOT EXISTS first_synced_at  timestamptz NOT NULL DEFAULT now(),
        ADD COLUMN IF NOT EXISTS last_synced_at   timestamptz NOT NULL DEFAULT now(),
        ADD COLUMN IF NOT EXISTS sync_run_id      text        NOT NULL,
        ADD COLUMN IF NOT EXISTS deleted_at       timestamptz,
        ADD COLUMN IF NOT EXISTS local_updated_at timestamptz', tbl);
    IF EXISTS (SELECT 1 FROM pg_settings WHERE name = 'default_toast_compression' AND 'lz4' = ANY (enumvals)) THEN
        EXECUTE format('ALTER TABLE front.%I ALTER COLUMN raw SET COMPRESSION lz4', tbl);
    END IF;
    EXECUTE format('DROP TRIGGER IF EXISTS stamp_local_update ON front.%I', tbl);
    EXECUTE format('CREATE TRIGGER stamp_local_update BEFORE UPDATE ON front.%I FOR EACH ROW '
                   'WHEN (current_setting(''front_sync.writer'', true) IS DISTINCT FROM ''on'') '
                   'EXECUTE FUNCTION front.stamp_local_update()', tbl);
    EXECUTE format('DROP TRIGGER IF EXISTS stamp_local_insert ON front.%I', tbl);
    EXECUTE format('CREATE TRIGGER stamp_local_insert AFTER INSERT ON front.%I FOR EACH ROW '
                   'WHEN (current_setting(''front_sync.writer'', true) IS DISTINCT FROM ''on'') '
                   'EXECUTE FUNCTION front.stamp_local_insert()', tbl);
    EXECUTE format('COMMENT ON TRIGGER stamp_local_update ON front.%I IS %L', tbl,
        'Stamps local_updated_at on rows changed by any session but the sync (front_sync.writer <> on).');
    EXECUTE format('COMMENT ON TRIGGER stamp_local_insert ON front.%I IS %L', tbl,
        'Stamps local_updated_at on rows inserted by any session but the sync (front_sync.writer <> on).');
    EXECUTE format('COMMENT ON COLUMN front.%I.untyped_fields IS %L', tbl,
        'Fields of the record that could not be typed (paths and reasons, never values); null when all were.');
    EXECUTE format('COMMENT ON COLUMN front.%I.raw IS %L', tbl,
        'The record as Front sent it (NUL characters removed); fields without a typed column live here.');
    EXECUTE format('COMMENT ON COLUMN front.%I.row_hash IS %L', tbl,
        'Hash of raw: a record identical to the stored one is counted unchanged and not rewritten.');
    EXECUTE format('COMMENT ON COLUMN front.%I.first_synced_at IS %L', tbl, 'When the row was first loaded.');
    EXECUTE format('COMMENT ON COLUMN front.%I.last_synced_at IS %L', tbl,
        'When the row was last written (created, updated or restored).');
    EXECUTE format('COMMENT ON COLUMN front.%I.sync_run_id IS %L', tbl, 'Airflow run that last wrote the row.');
    EXECUTE format('COMMENT ON COLUMN front.%I.deleted_at IS %L', tbl,
        'Soft delete: set when a completed full listing no longer returned the row, cleared when it comes back.');
    EXECUTE format('COMMENT ON COLUMN front.%I.local_updated_at IS %L', tbl,
        'When a session other than the sync last changed the row (trigger); such rows are not overwritten.');
END
$$;
COMMENT ON FUNCTION front.make_entity_table(text) IS
    'Adds the bookkeeping columns, local-edit triggers, compression and comments every entity table has.';
