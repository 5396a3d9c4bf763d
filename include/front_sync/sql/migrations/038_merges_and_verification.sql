-- Self-repair (issue 19 items 10 and the rolling verification).
--
-- conversation_merges: which conversation each merged-away one went into (from conversations_merged events and
-- 301 answers), so the survivor's complete fetch also reconciles the children still stored under the merged-away
-- ids (a comment Front dropped right after the merge is soft-deleted, not left live forever).
-- children_verified: per conversation and child resource, when a complete fetch last read all its children; the
-- nightly verification re-fetches a slice so every conversation is verified at least every verify_days.

CREATE TABLE IF NOT EXISTS front.conversation_merges (
    merged_id    text        PRIMARY KEY,
    survivor_id  text        NOT NULL,
    merged_at    timestamptz NOT NULL DEFAULT now(),
    run_id       text        NOT NULL
);
CREATE INDEX IF NOT EXISTS conversation_merges_survivor_idx ON front.conversation_merges (survivor_id);
COMMENT ON TABLE front.conversation_merges IS 'Merged-away conversation -> the conversation it was merged into (Front answers 301 for the old id).';
COMMENT ON COLUMN front.conversation_merges.merged_id IS 'Front id of the merged-away conversation.';
COMMENT ON COLUMN front.conversation_merges.survivor_id IS 'Front id of the conversation that took its messages and comments.';
COMMENT ON COLUMN front.conversation_merges.merged_at IS 'When the sync learned of the merge.';
COMMENT ON COLUMN front.conversation_merges.run_id IS 'Airflow run that recorded it.';

CREATE TABLE IF NOT EXISTS front.children_verified (
    resource         text        NOT NULL,
    conversation_id  text        NOT NULL,
    verified_at      timestamptz NOT NULL DEFAULT now(),
    run_id           text        NOT NULL,
    PRIMARY KEY (resource, conversation_id)
);
COMMENT ON TABLE front.children_verified IS 'Per conversation and child resource: when a complete fetch last read every child (the rolling verification''s record).';
COMMENT ON COLUMN front.children_verified.resource IS 'Child resource name from front_sync.resources (messages, comments).';
COMMENT ON COLUMN front.children_verified.conversation_id IS 'Front conversation id.';
COMMENT ON COLUMN front.children_verified.verified_at IS 'When the last complete fetch of these children finished.';
COMMENT ON COLUMN front.children_verified.run_id IS 'Airflow run of that fetch.';
