-- Conversations and what Front sends inside them: tags, links, scheduled reminders (replaced with the conversation).

CREATE TABLE IF NOT EXISTS front.conversations (
    id                    text PRIMARY KEY,
    type                  text,
    subject               text,
    status                text,
    is_trashed            boolean GENERATED ALWAYS AS (status = 'deleted') STORED,
    status_id             text,
    status_category       text,
    assignee_id           text,
    recipient_handle      text,
    recipient_role        text,
    recipient_contact_id  text,
    is_private            boolean,
    description           text,
    last_message_id       text,
    ticket_ids            jsonb,
    custom_fields         jsonb,
    created_at            numeric(15,3),
    created_at_ts         timestamptz GENERATED ALWAYS AS (to_timestamp(created_at::double precision)) STORED,
    updated_at            numeric(15,3),
    updated_at_ts         timestamptz GENERATED ALWAYS AS (to_timestamp(updated_at::double precision)) STORED,
    waiting_since         numeric(15,3),
    waiting_since_ts      timestamptz GENERATED ALWAYS AS (to_timestamp(waiting_since::double precision)) STORED,
    due_at                numeric(15,3),
    due_at_ts             timestamptz GENERATED ALWAYS AS (to_timestamp(due_at::double precision)) STORED,
    raw               jsonb       NOT NULL,
    row_hash          text        NOT NULL,
    first_synced_at   timestamptz NOT NULL DEFAULT now(),
    last_synced_at    timestamptz NOT NULL DEFAULT now(),
    sync_run_id       text        NOT NULL,
    deleted_at        timestamptz,
    local_updated_at  timestamptz
);
CREATE INDEX IF NOT EXISTS conversations_updated_at_idx ON front.conversations (updated_at);
CREATE INDEX IF NOT EXISTS conversations_created_at_idx ON front.conversations (created_at);
CREATE INDEX IF NOT EXISTS conversations_status_idx ON front.conversations (status);
CREATE INDEX IF NOT EXISTS conversations_assignee_idx ON front.conversations (assignee_id) WHERE assignee_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS conversations_contact_idx ON front.conversations (recipient_contact_id)
    WHERE recipient_contact_id IS NOT NULL;
COMMENT ON TABLE front.conversations IS 'Front conversations (from the events feed, GET /conversations or the backfill).';
COMMENT ON COLUMN front.conversations.id IS 'Front conversation id (cnv_...).';
COMMENT ON COLUMN front.conversations.type IS 'conversation, discussion or task.';
COMMENT ON COLUMN front.conversations.subject IS 'Subject line.';
COMMENT ON COLUMN front.conversations.status IS 'archived, unassigned, assigned or deleted (= in the trash; the list filter calls it trashed).';
COMMENT ON COLUMN front.conversations.is_trashed IS 'status = deleted: the conversation is in Front''s trash (not a soft delete here).';
COMMENT ON COLUMN front.conversations.status_id IS 'Ticket status id (ticketing only).';
COMMENT ON COLUMN front.conversations.status_category IS 'open, waiting or resolved (ticketing only).';
COMMENT ON COLUMN front.conversations.assignee_id IS 'Assigned teammate (teammates.id), null when unassigned.';
COMMENT ON COLUMN front.conversations.recipient_handle IS 'Handle of the main external party (recipient.handle).';
COMMENT ON COLUMN front.conversations.recipient_role IS 'Role of the main recipient: from, to, cc, bcc, reply-to.';
COMMENT ON COLUMN front.conversations.recipient_contact_id IS 'Contact of the main recipient, from recipient._links.related.contact.';
COMMENT ON COLUMN front.conversations.is_private IS 'Whether the conversation is in a private inbox.';
COMMENT ON COLUMN front.conversations.description IS 'Task description (tasks only).';
COMMENT ON COLUMN front.conversations.last_message_id IS 'Latest message, from _links.related.last_message.';
COMMENT ON COLUMN front.conversations.ticket_ids IS 'Ticket ids, as a JSON array.';
COMMENT ON COLUMN front.conversations.custom_fields IS 'Custom field values keyed by field name (scope conversation).';
COMMENT ON COLUMN front.conversations.created_at IS 'Front created_at, epoch seconds with 3 decimals (exact).';
COMMENT ON COLUMN front.conversations.updated_at IS 'Front updated_at, epoch seconds with 3 decimals; an older version is skipped as stale.';
COMMENT ON COLUMN front.conversations.waiting_since IS 'Time of the oldest unreplied message, epoch seconds.';
COMMENT ON COLUMN front.conversations.due_at IS 'Task due time, epoch seconds (tasks only).';

CREATE TABLE IF NOT EXISTS front.conversation_tags (
    conversation_id   text NOT NULL,
    tag_id            text NOT NULL,
    name              text,
    PRIMARY KEY (conversation_id, tag_id)
);
CREATE INDEX IF NOT EXISTS conversation_tags_tag_idx ON front.conversation_tags (tag_id);
COMMENT ON TABLE front.conversation_tags IS 'Tags on a conversation as Front last sent it; replaced with the conversation.';
COMMENT ON COLUMN front.conversation_tags.conversation_id IS 'The conversation (conversations.id).';
COMMENT ON COLUMN front.conversation_tags.tag_id IS 'The tag (tags.id).';
COMMENT ON COLUMN front.conversation_tags.name IS 'Tag name at the time.';

CREATE TABLE IF NOT EXISTS front.conversation_links (
    conversation_id   text NOT NULL,
    link_id           text NOT NULL,
    name              text,
    type              text,
    external_url      text,
    custom_fields     jsonb,
    PRIMARY KEY (conversation_id, link_id)
);
CREATE INDEX IF NOT EXISTS conversation_links_link_idx ON front.conversation_links (link_id);
COMMENT ON TABLE front.conversation_links IS 'Links (Jira issues, ...) attached to a conversation; replaced with the conversation.';
COMMENT ON COLUMN front.conversation_links.conversation_id IS 'The conversation (conversations.id).';
COMMENT ON COLUMN front.conversation_links.name IS 'Link name (e.g. the issue key).';
COMMENT ON COLUMN front.conversation_links.custom_fields IS 'Custom field values of the link keyed by field name (scope link).';
COMMENT ON COLUMN front.conversation_links.link_id IS 'Front link id (top_...).';
COMMENT ON COLUMN front.conversation_links.type IS 'Link type (the app that owns it).';
COMMENT ON COLUMN front.conversation_links.external_url IS 'URL of the linked object.';

CREATE TABLE IF NOT EXISTS front.conversation_reminders (
    conversation_id   text NOT NULL,
    ordinal           integer NOT NULL,
    owner_id          text,
    created_at        numeric(15,3),
    created_at_ts     timestamptz GENERATED ALWAYS AS (to_timestamp(created_at::double precision)) STORED,
    scheduled_at      numeric(15,3),
    scheduled_at_ts   timestamptz GENERATED ALWAYS AS (to_timestamp(scheduled_at::double precision)) STORED,
    updated_at        numeric(15,3),
    updated_at_ts     timestamptz GENERATED ALWAYS AS (to_timestamp(updated_at::double precision)) STORED,
    PRIMARY KEY (conversation_id, ordinal)
);
CREATE INDEX IF NOT EXISTS conversation_reminders_owner_idx ON front.conversation_reminders (owner_id, scheduled_at);
COMMENT ON TABLE front.conversation_reminders IS 'Scheduled reminders (snoozes) of a conversation; reminders have no id, so they are keyed by position.';
COMMENT ON COLUMN front.conversation_reminders.conversation_id IS 'The conversation (conversations.id).';
COMMENT ON COLUMN front.conversation_reminders.created_at IS 'When the reminder was created, epoch seconds.';
COMMENT ON COLUMN front.conversation_reminders.updated_at IS 'When the reminder was last changed, epoch seconds.';
COMMENT ON COLUMN front.conversation_reminders.ordinal IS 'Position in scheduled_reminders[].';
COMMENT ON COLUMN front.conversation_reminders.owner_id IS 'Teammate of the reminder, from _links.related.owner.';
COMMENT ON COLUMN front.conversation_reminders.scheduled_at IS 'When the reminder fires, epoch seconds.';
