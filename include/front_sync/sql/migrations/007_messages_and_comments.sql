-- Messages with their recipients and attachment metadata (replaced with the message), and comments.

CREATE TABLE IF NOT EXISTS front.messages (
    id                text PRIMARY KEY,
    conversation_id   text,
    message_uid       text,
    type              text,
    is_inbound        boolean,
    is_draft          boolean,
    draft_mode        text,
    error_type        text,
    version           text,
    author_id         text,
    replied_to_id     text,
    subject           text,
    blurb             text,
    body              text,
    text              text,
    metadata          jsonb,
    created_at        numeric(15,3),
    created_at_ts     timestamptz GENERATED ALWAYS AS (to_timestamp(created_at::double precision)) STORED,
    raw               jsonb       NOT NULL,
    row_hash          text        NOT NULL,
    first_synced_at   timestamptz NOT NULL DEFAULT now(),
    last_synced_at    timestamptz NOT NULL DEFAULT now(),
    sync_run_id       text        NOT NULL,
    deleted_at        timestamptz,
    local_updated_at  timestamptz
);
CREATE INDEX IF NOT EXISTS messages_conversation_idx ON front.messages (conversation_id, created_at);
CREATE INDEX IF NOT EXISTS messages_author_idx ON front.messages (author_id) WHERE author_id IS NOT NULL;
COMMENT ON TABLE front.messages IS 'Front messages (GET /conversations/{id}/messages), drafts included (is_draft).';
COMMENT ON COLUMN front.messages.id IS 'Front message id (msg_...).';
COMMENT ON COLUMN front.messages.conversation_id IS 'Conversation, from _links.related.conversation (no foreign key: messages may arrive first).';
COMMENT ON COLUMN front.messages.message_uid IS 'Front message uid.';
COMMENT ON COLUMN front.messages.type IS 'email, sms, front_chat, custom, tweet, ... (stored as Front sends it).';
COMMENT ON COLUMN front.messages.is_inbound IS 'True for messages received from outside, false for messages sent by teammates.';
COMMENT ON COLUMN front.messages.is_draft IS 'Draft (not sent): is_draft when Front sends it (documented, not in the spec), else draft_mode is set.';
COMMENT ON COLUMN front.messages.draft_mode IS 'shared or private for drafts, null for sent messages.';
COMMENT ON COLUMN front.messages.error_type IS 'Why a draft failed to send (null otherwise).';
COMMENT ON COLUMN front.messages.version IS 'Draft version token (concurrency), not a timestamp.';
COMMENT ON COLUMN front.messages.author_id IS 'Teammate who wrote it; null for inbound messages from outside.';
COMMENT ON COLUMN front.messages.replied_to_id IS 'Message this one replies to, from _links.related.message_replied_to.';
COMMENT ON COLUMN front.messages.subject IS 'Subject.';
COMMENT ON COLUMN front.messages.blurb IS 'Preview of the body ([REDACTED] for tweets).';
COMMENT ON COLUMN front.messages.body IS 'Body as HTML.';
COMMENT ON COLUMN front.messages.text IS 'Text version of the body; null outside email.';
COMMENT ON COLUMN front.messages.metadata IS 'Channel-specific metadata (headers, thread_ref, external_id, ...).';
COMMENT ON COLUMN front.messages.created_at IS 'When the message was sent or received, epoch seconds with 3 decimals (exact).';

CREATE TABLE IF NOT EXISTS front.message_recipients (
    message_id        text NOT NULL,
    role              text NOT NULL,
    handle            text NOT NULL,
    name              text,
    contact_id        text,
    handle_normalized text NOT NULL,
    PRIMARY KEY (message_id, role, handle)
);
CREATE INDEX IF NOT EXISTS message_recipients_contact_idx ON front.message_recipients (contact_id)
    WHERE contact_id IS NOT NULL;
COMMENT ON TABLE front.message_recipients IS 'Who a message was from and to; recipients have no Front id, so they are keyed by (message_id, role, handle).';
COMMENT ON COLUMN front.message_recipients.message_id IS 'The message (messages.id).';
COMMENT ON COLUMN front.message_recipients.role IS 'from, to, cc, bcc or reply-to (stored as Front sends it).';
COMMENT ON COLUMN front.message_recipients.handle IS 'Email address, phone number, ... ([REDACTED] for tweets).';
COMMENT ON COLUMN front.message_recipients.name IS 'Display name (nullable).';
COMMENT ON COLUMN front.message_recipients.contact_id IS 'Contact, from _links.related.contact; null when Front has none (e.g. deleted).';
COMMENT ON COLUMN front.message_recipients.handle_normalized IS 'Case-folded handle, for matching emails.';

CREATE TABLE IF NOT EXISTS front.message_attachments (
    message_id        text NOT NULL,
    attachment_id     text NOT NULL,
    filename          text,
    url               text,
    content_type      text,
    size              bigint CHECK (size >= 0),
    is_inline         boolean,
    cid               text,
    PRIMARY KEY (message_id, attachment_id)
);
COMMENT ON TABLE front.message_attachments IS 'Attachment metadata of a message (not the files); replaced with the message.';
COMMENT ON COLUMN front.message_attachments.message_id IS 'The message (messages.id).';
COMMENT ON COLUMN front.message_attachments.filename IS 'File name.';
COMMENT ON COLUMN front.message_attachments.attachment_id IS 'Front attachment id (fil_...).';
COMMENT ON COLUMN front.message_attachments.url IS 'Download URL on the company host; needs the API token and attachments:read (not public).';
COMMENT ON COLUMN front.message_attachments.content_type IS 'MIME type.';
COMMENT ON COLUMN front.message_attachments.size IS 'Size in bytes.';
COMMENT ON COLUMN front.message_attachments.is_inline IS 'Inline image (metadata.is_inline).';
COMMENT ON COLUMN front.message_attachments.cid IS 'Content id of an inline image (metadata.cid).';

CREATE TABLE IF NOT EXISTS front.comments (
    id                text PRIMARY KEY,
    conversation_id   text,
    author_id         text,
    body              text,
    is_pinned         boolean,
    replied_to_id     text,
    attachment_count  integer,
    posted_at         numeric(15,3),
    posted_at_ts      timestamptz GENERATED ALWAYS AS (to_timestamp(posted_at::double precision)) STORED,
    raw               jsonb       NOT NULL,
    row_hash          text        NOT NULL,
    first_synced_at   timestamptz NOT NULL DEFAULT now(),
    last_synced_at    timestamptz NOT NULL DEFAULT now(),
    sync_run_id       text        NOT NULL,
    deleted_at        timestamptz,
    local_updated_at  timestamptz
);
CREATE INDEX IF NOT EXISTS comments_conversation_idx ON front.comments (conversation_id, posted_at);
CREATE INDEX IF NOT EXISTS comments_author_idx ON front.comments (author_id);
COMMENT ON TABLE front.comments IS 'Internal comments on conversations (GET /conversations/{id}/comments).';
COMMENT ON COLUMN front.comments.id IS 'Front comment id (com_...).';
COMMENT ON COLUMN front.comments.conversation_id IS 'Conversation, from _links.related.conversation.';
COMMENT ON COLUMN front.comments.author_id IS 'Teammate who wrote the comment.';
COMMENT ON COLUMN front.comments.body IS 'Comment text.';
COMMENT ON COLUMN front.comments.is_pinned IS 'Whether the comment is pinned.';
COMMENT ON COLUMN front.comments.replied_to_id IS 'Comment this one replies to, from _links.related.comment_replied_to.';
COMMENT ON COLUMN front.comments.attachment_count IS 'Number of attachments (their metadata is in raw).';
COMMENT ON COLUMN front.comments.posted_at IS 'When the comment was posted, epoch seconds with 3 decimals (comments have posted_at, not created_at).';
