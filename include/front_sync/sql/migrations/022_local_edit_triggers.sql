-- Local edits are detected without the editing application's help: a row inserted or changed by any session
-- other than the sync gets local_updated_at, so a later sync keeps it and records a conflict (classify.sql,
-- rule 2). The sync marks its own sessions with the setting front_sync.writer = 'on' (warehouse.py sets it for
-- the session, the loader for each batch transaction); the triggers' WHEN skips them at almost no cost.
-- Inserts are stamped by an AFTER trigger: a BEFORE INSERT row trigger would make every COPY of the loader
-- insert row by row instead of in bulk.

CREATE OR REPLACE FUNCTION front.stamp_local_update() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    -- A statement that sets local_updated_at itself keeps its value: a reviewer clears it to let Front win.
    IF NEW.local_updated_at IS NOT DISTINCT FROM OLD.local_updated_at THEN
        NEW.local_updated_at := statement_timestamp();
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION front.stamp_local_update() IS
    'BEFORE UPDATE trigger of the entity tables: a row changed outside the sync gets local_updated_at = the statement''s time, unless the statement set local_updated_at itself.';

CREATE OR REPLACE FUNCTION front.stamp_local_insert() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.local_updated_at IS NULL THEN
        EXECUTE format('UPDATE %I.%I SET local_updated_at = statement_timestamp() WHERE id = $1',
                       TG_TABLE_SCHEMA, TG_TABLE_NAME) USING NEW.id;
    END IF;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION front.stamp_local_insert() IS
    'AFTER INSERT trigger of the entity tables: a row inserted outside the sync gets local_updated_at (unless the insert set it).';

DO $$
DECLARE
    tbl text;
BEGIN
    FOR tbl IN
        SELECT c.table_name FROM information_schema.columns AS c
        JOIN information_schema.tables AS t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
        WHERE c.table_schema = 'front' AND c.column_name = 'local_updated_at' AND t.table_type = 'BASE TABLE'
        ORDER BY c.table_name
    LOOP
        EXECUTE format('DROP TRIGGER IF EXISTS stamp_local_update ON front.%I', tbl);
        EXECUTE format('CREATE TRIGGER stamp_local_update BEFORE UPDATE ON front.%I FOR EACH ROW '
                       'WHEN (current_setting(''front_sync.writer'', true) IS DISTINCT FROM ''on'') '
                       'EXECUTE FUNCTION front.stamp_local_update()', tbl);
        EXECUTE format('COMMENT ON TRIGGER stamp_local_update ON front.%I IS %L', tbl,
            'Stamps local_updated_at on rows changed by any session but the sync (front_sync.writer <> on).');
        EXECUTE format('DROP TRIGGER IF EXISTS stamp_local_insert ON front.%I', tbl);
        EXECUTE format('CREATE TRIGGER stamp_local_insert AFTER INSERT ON front.%I FOR EACH ROW '
                       'WHEN (current_setting(''front_sync.writer'', true) IS DISTINCT FROM ''on'') '
                       'EXECUTE FUNCTION front.stamp_local_insert()', tbl);
        EXECUTE format('COMMENT ON TRIGGER stamp_local_insert ON front.%I IS %L', tbl,
            'Stamps local_updated_at on rows inserted by any session but the sync (front_sync.writer <> on).');
        EXECUTE format('COMMENT ON COLUMN front.%I.local_updated_at IS %L', tbl,
            'When a session other than the sync last changed the row (set by trigger stamp_local_update or '
            'stamp_local_insert; a statement may set or clear it itself). A sync never overwrites a row edited '
            'after the incoming Front timestamp, or edited at all for resources without one (see sync_conflicts).');
    END LOOP;
END
$$;
