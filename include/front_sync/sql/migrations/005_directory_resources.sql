-- The small resources refreshed in full: tags, inboxes, teammates, channels, custom field definitions.
-- No foreign keys between resources: Front lists them independently and rows are only ever soft-deleted.

CREATE TABLE IF NOT EXISTS front.tags (
    id                                text PRIMARY KEY,
    name                              text,
    description                       text,
    highlight                         text,
    is_private                        boolean,
    is_visible_in_conversation_lists  boolean,
    parent_tag_id                     text,
    owner_id                          text,
    created_at                        numeric(15,3),
    created_at_ts                     timestamptz GENERATED ALWAYS AS (to_timestamp(created_at::double precision)) STORED,
    updated_at                        numeric(15,3),
    updated_at_ts                     timestamptz GENERATED ALWAYS AS (to_timestamp(updated_at::double precision)) STORED,
    raw               jsonb       NOT NULL,
    row_hash          text        NOT NULL,
    first_synced_at   timestamptz NOT NULL DEFAULT now(),
    last_synced_at    timestamptz NOT NULL DEFAULT now(),
    sync_run_id       text        NOT NULL,
    deleted_at        timestamptz,
    local_updated_at  timestamptz
);
CREATE INDEX IF NOT EXISTS tags_parent_idx ON front.tags (parent_tag_id) WHERE parent_tag_id IS NOT NULL;
COMMENT ON TABLE front.tags IS 'Front tags (GET /tags): company, team and teammate tags the token can see.';
COMMENT ON COLUMN front.tags.id IS 'Front tag id (tag_...).';
COMMENT ON COLUMN front.tags.name IS 'Tag name.';
COMMENT ON COLUMN front.tags.description IS 'Tag description (nullable).';
COMMENT ON COLUMN front.tags.highlight IS 'Colour or emoji shown with the tag (nullable).';
COMMENT ON COLUMN front.tags.is_private IS 'Whether the tag is private to a teammate.';
COMMENT ON COLUMN front.tags.is_visible_in_conversation_lists IS 'Whether Front shows the tag in conversation lists.';
COMMENT ON COLUMN front.tags.parent_tag_id IS 'Parent tag id, parsed from _links.related.parent_tag (Front sends no parent_tag_id field).';
COMMENT ON COLUMN front.tags.owner_id IS 'Owner from _links.related.owner (teammate or team), null for company tags.';
COMMENT ON COLUMN front.tags.created_at IS 'Front created_at, epoch seconds with 3 decimals (exact).';
COMMENT ON COLUMN front.tags.updated_at IS 'Front updated_at, epoch seconds with 3 decimals (exact); an older version is skipped as stale.';

CREATE TABLE IF NOT EXISTS front.inboxes (
    id                text PRIMARY KEY,
    name              text,
    is_private        boolean,
    is_public         boolean,
    owner_id          text,
    custom_fields     jsonb,
    raw               jsonb       NOT NULL,
    row_hash          text        NOT NULL,
    first_synced_at   timestamptz NOT NULL DEFAULT now(),
    last_synced_at    timestamptz NOT NULL DEFAULT now(),
    sync_run_id       text        NOT NULL,
    deleted_at        timestamptz,
    local_updated_at  timestamptz
);
COMMENT ON TABLE front.inboxes IS 'Front inboxes (GET /inboxes).';
COMMENT ON COLUMN front.inboxes.id IS 'Front inbox id (inb_...).';
COMMENT ON COLUMN front.inboxes.name IS 'Inbox name.';
COMMENT ON COLUMN front.inboxes.is_private IS 'Whether the inbox is a teammate''s private inbox.';
COMMENT ON COLUMN front.inboxes.is_public IS 'Whether every teammate can access the inbox.';
COMMENT ON COLUMN front.inboxes.owner_id IS 'Owner from _links.related.owner (tim_... team or tea_... teammate).';
COMMENT ON COLUMN front.inboxes.custom_fields IS 'Custom field values keyed by field name (scope inbox).';

CREATE TABLE IF NOT EXISTS front.teammates (
    id                text PRIMARY KEY,
    email             text,
    username          text,
    first_name        text,
    last_name         text,
    is_admin          boolean,
    is_available      boolean,
    is_blocked        boolean,
    type              text,
    license_type      text,
    custom_fields     jsonb,
    raw               jsonb       NOT NULL,
    row_hash          text        NOT NULL,
    first_synced_at   timestamptz NOT NULL DEFAULT now(),
    last_synced_at    timestamptz NOT NULL DEFAULT now(),
    sync_run_id       text        NOT NULL,
    deleted_at        timestamptz,
    local_updated_at  timestamptz
);
CREATE INDEX IF NOT EXISTS teammates_email_idx ON front.teammates (lower(email));
COMMENT ON TABLE front.teammates IS 'Front teammates (GET /teammates), bots included (see type).';
COMMENT ON COLUMN front.teammates.id IS 'Front teammate id (tea_...).';
COMMENT ON COLUMN front.teammates.email IS 'Teammate email (custom fields of type teammate hold this value).';
COMMENT ON COLUMN front.teammates.username IS 'Front username.';
COMMENT ON COLUMN front.teammates.first_name IS 'First name.';
COMMENT ON COLUMN front.teammates.last_name IS 'Last name.';
COMMENT ON COLUMN front.teammates.is_admin IS 'Whether the teammate is a company admin.';
COMMENT ON COLUMN front.teammates.is_available IS 'Whether the teammate is available (not away).';
COMMENT ON COLUMN front.teammates.is_blocked IS 'Whether the teammate is blocked (deactivated).';
COMMENT ON COLUMN front.teammates.type IS 'user, or a bot kind: rule, api, macro, ai, ... (stored as Front sends it).';
COMMENT ON COLUMN front.teammates.license_type IS 'Front licence (full, light, ...).';
COMMENT ON COLUMN front.teammates.custom_fields IS 'Custom field values keyed by field name (scope teammate).';

CREATE TABLE IF NOT EXISTS front.channels (
    id                       text PRIMARY KEY,
    name                     text,
    address                  text,
    type                     text,
    send_as                  text,
    is_private               boolean,
    is_valid                 boolean,
    inbox_id                 text,
    owner_id                 text,
    undo_send_time           integer,
    all_teammates_can_reply  boolean,
    raw               jsonb       NOT NULL,
    row_hash          text        NOT NULL,
    first_synced_at   timestamptz NOT NULL DEFAULT now(),
    last_synced_at    timestamptz NOT NULL DEFAULT now(),
    sync_run_id       text        NOT NULL,
    deleted_at        timestamptz,
    local_updated_at  timestamptz
);
CREATE INDEX IF NOT EXISTS channels_inbox_idx ON front.channels (inbox_id);
COMMENT ON TABLE front.channels IS 'Front channels (GET /channels): the addresses inboxes send and receive with.';
COMMENT ON COLUMN front.channels.id IS 'Front channel id (cha_...).';
COMMENT ON COLUMN front.channels.name IS 'Channel name.';
COMMENT ON COLUMN front.channels.address IS 'Address of the channel (email address, phone number, handle, ...).';
COMMENT ON COLUMN front.channels.type IS 'gmail, smtp, front_chat, twilio, custom, ... (stored as Front sends it; formerly types).';
COMMENT ON COLUMN front.channels.send_as IS 'Address used when sending.';
COMMENT ON COLUMN front.channels.is_private IS 'Whether the channel belongs to a private inbox.';
COMMENT ON COLUMN front.channels.is_valid IS 'Whether Front considers the channel working.';
COMMENT ON COLUMN front.channels.inbox_id IS 'Inbox of the channel, from _links.related.inbox (nullable).';
COMMENT ON COLUMN front.channels.owner_id IS 'Owner from _links.related.owner.';
COMMENT ON COLUMN front.channels.undo_send_time IS 'settings.undo_send_time, seconds.';
COMMENT ON COLUMN front.channels.all_teammates_can_reply IS 'settings.all_teammates_can_reply.';

CREATE TABLE IF NOT EXISTS front.custom_fields (
    id                text PRIMARY KEY,
    scope             text NOT NULL,
    name              text NOT NULL,
    description       text,
    type              text,
    "values"          jsonb,
    raw               jsonb       NOT NULL,
    row_hash          text        NOT NULL,
    first_synced_at   timestamptz NOT NULL DEFAULT now(),
    last_synced_at    timestamptz NOT NULL DEFAULT now(),
    sync_run_id       text        NOT NULL,
    deleted_at        timestamptz,
    local_updated_at  timestamptz
);
CREATE INDEX IF NOT EXISTS custom_fields_scope_name_idx ON front.custom_fields (scope, name);
COMMENT ON TABLE front.custom_fields IS 'Custom field definitions (GET /<scope>s/custom_fields). Values on records are keyed by name, not id.';
COMMENT ON COLUMN front.custom_fields.id IS 'Front custom field id (fld_...).';
COMMENT ON COLUMN front.custom_fields.scope IS 'Which records carry the field: contact, conversation, inbox, teammate, account, link.';
COMMENT ON COLUMN front.custom_fields.name IS 'Field name: the key of the value in the records'' custom_fields (a rename changes the key).';
COMMENT ON COLUMN front.custom_fields.description IS 'Field description.';
COMMENT ON COLUMN front.custom_fields.type IS 'string, boolean, datetime (epoch seconds), number, teammate (an email), inbox (inb_...), enum.';
COMMENT ON COLUMN front.custom_fields."values" IS 'Allowed values of an enum field: [{value, label}].';
