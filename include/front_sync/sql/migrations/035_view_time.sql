-- The version rule (DESIGN.md section 4): every entity table records in view_at the Front-side time of the view
-- its row holds: Front's updated_at where the resource has one; otherwise the emitted_at of the event that carried
-- the payload, or the start of the request that fetched it; for a soft-deleted row, the view in which it was seen
-- gone. A write whose view is older than view_at changes nothing (counted stale); an older view never undeletes.
--
-- Backfill of rows written before this migration (their view was not recorded):
--   * tables with updated_at: view_at = updated_at (the rule for them), when it is set;
--   * every other row: the epoch of last_synced_at (for a soft-deleted row, of deleted_at when later): the view
--     was requested before the row was last written, so this may rank a view a few seconds newer than it was,
--     which only makes an event emitted in those seconds count stale once; re-applied old payloads (a backfill
--     re-run, a replay) are stale, as they must be. The next fetch or event sets the exact time.

CREATE OR REPLACE FUNCTION front.view_at_comment() RETURNS text LANGUAGE sql IMMUTABLE AS $c$
    SELECT 'Front-side epoch time of the view this row holds (updated_at, else the carrying event''s emitted_at '
           'or the fetch''s request start; for a soft-deleted row, when it was seen gone). An older view is stale.'
$c$;

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
        ADD COLUMN IF NOT EXISTS local_updated_at timestamptz,
        ADD COLUMN IF NOT EXISTS view_at          numeric(15,3)', tbl);
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
        'Soft delete: set when Front was seen without the row (a complete listing or fetch, a merge, a 404); view_at says as of when.');
    EXECUTE format('COMMENT ON COLUMN front.%I.local_updated_at IS %L', tbl,
        'When a session other than the sync last changed the row (trigger); such rows are not overwritten.');
    EXECUTE format('COMMENT ON COLUMN front.%I.view_at IS %L', tbl, front.view_at_comment());
END
$$;
COMMENT ON FUNCTION front.make_entity_table(text) IS
    'Adds the bookkeeping columns, local-edit triggers, compression and comments every entity table has.';

SET LOCAL front_sync.writer = 'on';  -- the backfill is the sync's own write, not a local edit (migration 022)
DO $$
DECLARE
    tbl text;
    has_updated_at boolean;
BEGIN
    FOR tbl IN
        SELECT c.table_name FROM information_schema.columns AS c
        WHERE c.table_schema = 'front' AND c.column_name IN ('row_hash', 'raw', 'deleted_at', 'last_synced_at')
        GROUP BY c.table_name HAVING count(*) = 4 ORDER BY c.table_name
    LOOP
        EXECUTE format('ALTER TABLE front.%I ADD COLUMN IF NOT EXISTS view_at numeric(15,3)', tbl);
        EXECUTE format('COMMENT ON COLUMN front.%I.view_at IS %L', tbl, front.view_at_comment());
        SELECT EXISTS (SELECT 1 FROM information_schema.columns WHERE table_schema = 'front' AND table_name = tbl
                       AND column_name = 'updated_at') INTO has_updated_at;
        EXECUTE format('UPDATE front.%I SET view_at = round(%s, 3) WHERE view_at IS NULL', tbl,
                       CASE WHEN has_updated_at
                            THEN 'COALESCE(updated_at, extract(epoch FROM GREATEST(last_synced_at, deleted_at)))'
                            ELSE 'extract(epoch FROM GREATEST(last_synced_at, deleted_at))' END);
    END LOOP;
END
$$;

-- A dead letter keeps the view time of its batch, so that a replay is as old as the view it came from (none
-- known: the oldest, stale against any stored view).
ALTER TABLE front.dead_letters ADD COLUMN IF NOT EXISTS view_at numeric(15,3);
COMMENT ON COLUMN front.dead_letters.view_at IS 'Front-side time of the view the record came from (null: unknown, replayed as the oldest view).';
