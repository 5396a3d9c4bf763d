-- Contact lists and their membership, and provisional contacts (Front contacts sent without an id).
-- Child tables have no foreign key to their parent: the loader replaces children with their parent in one
-- transaction and never hard-deletes a parent, and a per-row foreign-key check would halve the load rate.

ALTER TABLE front.contact_handles DROP CONSTRAINT IF EXISTS contact_handles_contact_id_fkey;

ALTER TABLE front.contacts
    ADD COLUMN IF NOT EXISTS is_provisional boolean GENERATED ALWAYS AS (id LIKE 'provisional:%') STORED;
CREATE INDEX IF NOT EXISTS contacts_provisional_idx ON front.contacts (id) WHERE is_provisional;
COMMENT ON COLUMN front.contacts.id IS 'Front contact id (crd_...), or provisional:<email> for a contact Front sent without an id.';
COMMENT ON COLUMN front.contacts.name IS 'Display name.';
COMMENT ON COLUMN front.contacts.description IS 'Free-text description.';
COMMENT ON COLUMN front.contacts.avatar_url IS 'URL of the avatar image.';
COMMENT ON COLUMN front.contacts.is_private IS 'Whether the contact is private to its owner.';
COMMENT ON COLUMN front.contacts.links IS 'Links (URLs) attached to the contact, as a JSON array.';
COMMENT ON COLUMN front.contacts.custom_fields IS 'Custom field values keyed by field name (see custom_fields, scope contact).';
COMMENT ON COLUMN front.contacts.is_provisional IS 'A placeholder keyed by email, merged into the real contact when it arrives.';
COMMENT ON COLUMN front.contact_handles.contact_id IS 'The contact (contacts.id).';
COMMENT ON COLUMN front.contact_handles.source IS 'email, phone, twitter, facebook, intercom, front_chat, custom, ...';
COMMENT ON COLUMN front.contact_handles.handle IS 'The handle as Front sent it.';

CREATE TABLE IF NOT EXISTS front.contact_lists (
    id                text PRIMARY KEY,
    name              text,
    is_private        boolean,
    owner_id          text,
    raw               jsonb       NOT NULL,
    row_hash          text        NOT NULL,
    first_synced_at   timestamptz NOT NULL DEFAULT now(),
    last_synced_at    timestamptz NOT NULL DEFAULT now(),
    sync_run_id       text        NOT NULL,
    deleted_at        timestamptz,
    local_updated_at  timestamptz
);
COMMENT ON TABLE front.contact_lists IS 'Front contact lists (GET /contact_lists; formerly groups).';
COMMENT ON COLUMN front.contact_lists.id IS 'Front contact list id (grp_...).';
COMMENT ON COLUMN front.contact_lists.name IS 'List name.';
COMMENT ON COLUMN front.contact_lists.is_private IS 'Whether the list is private to its owner.';
COMMENT ON COLUMN front.contact_lists.owner_id IS 'Owner from _links.related.owner (tea_... teammate or tim_... team).';

CREATE TABLE IF NOT EXISTS front.contact_list_members (
    contact_id        text NOT NULL,
    contact_list_id   text NOT NULL,
    PRIMARY KEY (contact_id, contact_list_id)
);
CREATE INDEX IF NOT EXISTS contact_list_members_list_idx ON front.contact_list_members (contact_list_id);
COMMENT ON TABLE front.contact_list_members IS 'Which contacts are in which list, from each contact''s lists[]; replaced with its contact.';
COMMENT ON COLUMN front.contact_list_members.contact_id IS 'The contact (contacts.id).';
COMMENT ON COLUMN front.contact_list_members.contact_list_id IS 'The list (contact_lists.id); no foreign key: lists and contacts load independently.';
