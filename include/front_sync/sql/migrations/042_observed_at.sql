-- The version rule's tie (issue 19): for resources with updated_at, view_at is updated_at, but Front changes some
-- embedded fields without moving it (a tag renamed, a tag's parent deleted). Two views with the same updated_at can
-- then hold different content, and an old event snapshot re-applied later (a backfill re-run, a re-sync, a replay)
-- would undo the nightly listing's repair. observed_at records when the row's view was observed (the carrying
-- event's emitted_at, the fetch's request start); views are ordered by (view_at, observed_at), so on equal
-- updated_at the later observation wins.
--
-- Backfill of rows written before this migration: the epoch of last_synced_at (for a soft-deleted row, of deleted_at
-- when later), as migration 035 did for view_at: a payload observed before the row was last written is then older.

CREATE OR REPLACE FUNCTION front.observed_at_comment() RETURNS text LANGUAGE sql IMMUTABLE AS $c$
    SELECT 'Front-side epoch time at which the view this row holds was observed (the carrying event''s emitted_at or '
           'the fetch''s request start): breaks ties of view_at, so that of two views with the same updated_at the '
           'later observation wins.'
$c$;

CREATE OR REPLACE FUNCTION front.add_observed_at(tbl text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('ALTER TABLE front.%I ADD COLUMN IF NOT EXISTS observed_at numeric(15,3)', tbl);
    EXECUTE format('COMMENT ON COLUMN front.%I.observed_at IS %L', tbl, front.observed_at_comment());
END
$$;
COMMENT ON FUNCTION front.add_observed_at(text) IS 'Adds the observed_at column (the version rule''s tie-break).';

-- Entity tables created by later migrations get the column too: make_entity_table keeps its body (migration 035)
-- under another name and adds observed_at after it.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_proc AS p JOIN pg_namespace AS n ON n.oid = p.pronamespace
                   WHERE n.nspname = 'front' AND p.proname = 'make_entity_table_035') THEN
        ALTER FUNCTION front.make_entity_table(text) RENAME TO make_entity_table_035;
    END IF;
END
$$;
CREATE OR REPLACE FUNCTION front.make_entity_table(tbl text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM front.make_entity_table_035(tbl);
    PERFORM front.add_observed_at(tbl);
END
$$;
COMMENT ON FUNCTION front.make_entity_table(text) IS
    'Adds the bookkeeping columns, local-edit triggers, compression and comments every entity table has.';

SET LOCAL front_sync.writer = 'on';  -- the backfill is the sync's own write, not a local edit (migration 022)
DO $$
DECLARE
    tbl text;
BEGIN
    FOR tbl IN
        SELECT c.table_name FROM information_schema.columns AS c
        WHERE c.table_schema = 'front' AND c.column_name IN ('row_hash', 'raw', 'deleted_at', 'view_at')
        GROUP BY c.table_name HAVING count(*) = 4 ORDER BY c.table_name
    LOOP
        PERFORM front.add_observed_at(tbl);
        EXECUTE format('UPDATE front.%I SET observed_at = round(extract(epoch FROM GREATEST(last_synced_at, deleted_at)), 3) '
                       'WHERE observed_at IS NULL', tbl);
    END LOOP;
END
$$;
