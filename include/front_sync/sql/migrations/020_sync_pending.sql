-- Work queue between tasks: conversations whose messages or comments must be fetched again.
-- Filled by sync_conversations (events or listing), the backfill and the on-demand DAG; drained by sync_messages /
-- sync_comments, one conversation at a time, in the same transaction as its rows: a retried task resumes.

CREATE TABLE IF NOT EXISTS front.sync_pending (
    resource         text        NOT NULL CHECK (resource IN ('messages', 'comments')),
    conversation_id  text        NOT NULL,
    enqueued_at      timestamptz NOT NULL DEFAULT now(),
    enqueued_by      text        NOT NULL,
    attempts         integer     NOT NULL DEFAULT 0,
    PRIMARY KEY (resource, conversation_id)
);
COMMENT ON TABLE front.sync_pending IS 'Conversations whose messages or comments still have to be fetched; a row '
    'disappears in the transaction that loads them.';
COMMENT ON COLUMN front.sync_pending.resource IS 'What to fetch for the conversation: messages or comments.';
COMMENT ON COLUMN front.sync_pending.conversation_id IS 'The Front conversation (cnv_...) whose children to fetch.';
COMMENT ON COLUMN front.sync_pending.enqueued_at IS 'When the fetch was last asked for; the queue is worked oldest first.';
COMMENT ON COLUMN front.sync_pending.enqueued_by IS 'The Airflow run that asked for the fetch.';
COMMENT ON COLUMN front.sync_pending.attempts IS 'Fetches tried for this row; a stuck row shows here.';
