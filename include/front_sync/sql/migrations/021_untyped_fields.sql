-- One value that cannot be typed no longer loses its record: the record loads, that typed column is null, raw
-- keeps the value, and the row lists the fields that could not be typed. sync_logs counts such rows.

ALTER TABLE front.contacts       ADD COLUMN IF NOT EXISTS untyped_fields jsonb;
ALTER TABLE front.contact_lists  ADD COLUMN IF NOT EXISTS untyped_fields jsonb;
ALTER TABLE front.tags           ADD COLUMN IF NOT EXISTS untyped_fields jsonb;
ALTER TABLE front.inboxes        ADD COLUMN IF NOT EXISTS untyped_fields jsonb;
ALTER TABLE front.teammates      ADD COLUMN IF NOT EXISTS untyped_fields jsonb;
ALTER TABLE front.channels       ADD COLUMN IF NOT EXISTS untyped_fields jsonb;
ALTER TABLE front.custom_fields  ADD COLUMN IF NOT EXISTS untyped_fields jsonb;
ALTER TABLE front.conversations  ADD COLUMN IF NOT EXISTS untyped_fields jsonb;
ALTER TABLE front.messages       ADD COLUMN IF NOT EXISTS untyped_fields jsonb;
ALTER TABLE front.comments       ADD COLUMN IF NOT EXISTS untyped_fields jsonb;

DO $$
DECLARE
    tbl text;
BEGIN
    FOREACH tbl IN ARRAY ARRAY['contacts', 'contact_lists', 'tags', 'inboxes', 'teammates', 'channels',
                               'custom_fields', 'conversations', 'messages', 'comments']
    LOOP
        EXECUTE format('COMMENT ON COLUMN front.%I.untyped_fields IS %L', tbl,
            'Fields of the record that could not be typed, as [{"field": "attachments[0].size", "reason": '
            '"negative"}] (paths and reasons, never values): their typed column is null (a child item that '
            'cannot be keyed is left out) and raw keeps what Front sent. Null when every field was typed.');
    END LOOP;
END
$$;

-- A custom field definition without a usable name loads too (name null, listed in untyped_fields).
ALTER TABLE front.custom_fields ALTER COLUMN name DROP NOT NULL;

ALTER TABLE front.sync_logs ADD COLUMN IF NOT EXISTS untyped integer NOT NULL DEFAULT 0;
COMMENT ON COLUMN front.sync_logs.untyped IS 'Rows written (created or updated) with at least one field that could not be typed; see untyped_fields on the entity tables.';
