-- Conversation statuses (GET /company/statuses): the ticketing statuses conversations.status_id points at.
CREATE TABLE IF NOT EXISTS front.conversation_statuses (
    id             text PRIMARY KEY,
    name           text,
    category       text,
    description    text,
    created_at     numeric(15,3),
    created_at_ts  timestamptz GENERATED ALWAYS AS (to_timestamp(created_at::double precision)) STORED,
    updated_at     numeric(15,3),
    updated_at_ts  timestamptz GENERATED ALWAYS AS (to_timestamp(updated_at::double precision)) STORED
);
SELECT front.make_entity_table('conversation_statuses');
COMMENT ON TABLE front.conversation_statuses IS 'Front ticket statuses (GET /company/statuses); conversations.status_id refers here.';
COMMENT ON COLUMN front.conversation_statuses.id IS 'Front status id (sts_...).';
COMMENT ON COLUMN front.conversation_statuses.name IS 'Status name.';
COMMENT ON COLUMN front.conversation_statuses.category IS 'Status category (open, waiting, resolved, ...), as Front sends it.';
COMMENT ON COLUMN front.conversation_statuses.description IS 'Status description.';
COMMENT ON COLUMN front.conversation_statuses.created_at IS 'Front created_at, epoch seconds with 3 decimals (exact).';
COMMENT ON COLUMN front.conversation_statuses.updated_at IS 'Front updated_at, epoch seconds with 3 decimals (exact); an older version is skipped as stale.';
COMMENT ON COLUMN front.conversation_statuses.created_at_ts IS 'created_at as a timestamp, for people.';
COMMENT ON COLUMN front.conversation_statuses.updated_at_ts IS 'updated_at as a timestamp, for people.';
