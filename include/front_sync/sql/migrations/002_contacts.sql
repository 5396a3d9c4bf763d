-- Contacts and their handles (email, phone, ...). A handle row is replaced with its contact.

CREATE TABLE IF NOT EXISTS front.contacts (
    id                text PRIMARY KEY,
    name              text,
    description       text,
    avatar_url        text,
    is_private        boolean,
    links             jsonb,
    custom_fields     jsonb,
    updated_at        numeric(15,3),
    updated_at_ts     timestamptz GENERATED ALWAYS AS (to_timestamp(updated_at::double precision)) STORED,
    raw               jsonb       NOT NULL,
    row_hash          text        NOT NULL,
    first_synced_at   timestamptz NOT NULL DEFAULT now(),
    last_synced_at    timestamptz NOT NULL DEFAULT now(),
    sync_run_id       text        NOT NULL,
    deleted_at        timestamptz,
    local_updated_at  timestamptz
);
CREATE INDEX IF NOT EXISTS contacts_updated_at_idx ON front.contacts (updated_at);
COMMENT ON TABLE front.contacts IS 'Front contacts (GET /contacts), one row per contact id.';
COMMENT ON COLUMN front.contacts.updated_at IS 'Front''s updated_at, epoch seconds with 3 decimals (exact); the incremental cursor.';
COMMENT ON COLUMN front.contacts.updated_at_ts IS 'updated_at as a timestamp, for people.';
COMMENT ON COLUMN front.contacts.raw IS 'The record as Front sent it (NUL characters removed); fields without a column live here.';
COMMENT ON COLUMN front.contacts.row_hash IS 'Hash of raw: an unchanged record is not rewritten.';
COMMENT ON COLUMN front.contacts.deleted_at IS 'Set when a completed full listing no longer returns the contact (soft delete).';
COMMENT ON COLUMN front.contacts.local_updated_at IS 'Set by local edits; a sync never overwrites a row edited after the incoming Front timestamp.';

CREATE TABLE IF NOT EXISTS front.contact_handles (
    contact_id        text NOT NULL REFERENCES front.contacts (id) ON DELETE CASCADE,
    source            text NOT NULL,
    handle            text NOT NULL,
    handle_normalized text NOT NULL,
    PRIMARY KEY (contact_id, source, handle)
);
CREATE INDEX IF NOT EXISTS contact_handles_lookup_idx ON front.contact_handles (source, handle_normalized);
COMMENT ON TABLE front.contact_handles IS 'How a contact is reached (email, phone, twitter, ...); replaced with its contact.';
COMMENT ON COLUMN front.contact_handles.handle_normalized IS 'Case-folded handle, for matching emails.';
