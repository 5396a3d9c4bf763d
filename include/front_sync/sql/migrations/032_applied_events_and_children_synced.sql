-- What the sync already knows, so the API quota goes only to what changed (issue 11).
--
-- applied_events: the events a run applied (by Front's event id), so re-reading the overlap below the watermark
-- costs no second fetch; kept for a day below the oldest window still read, then purged.
-- children_synced: per conversation and child resource (messages, comments), the conversation's updated_at that its
-- children are known to be current for: set by a complete fetch (as of the claim) and moved on by events whose
-- payloads carried every change. A backfill or listing queues a conversation only when it changed since.

CREATE TABLE IF NOT EXISTS front.applied_events (
    event_id    text          PRIMARY KEY,
    emitted_at  numeric(15,3) NOT NULL,
    applied_at  timestamptz   NOT NULL DEFAULT now(),
    run_id      text          NOT NULL
);
CREATE INDEX IF NOT EXISTS applied_events_emitted_at_idx ON front.applied_events (emitted_at);
COMMENT ON TABLE front.applied_events IS 'Front events already applied to the warehouse (the overlap re-read skips them); purged a day below the read window.';
COMMENT ON COLUMN front.applied_events.event_id IS 'Front event id (evt_...).';
COMMENT ON COLUMN front.applied_events.emitted_at IS 'The event''s emitted_at, epoch seconds with 3 decimals.';
COMMENT ON COLUMN front.applied_events.applied_at IS 'When the sync applied it.';
COMMENT ON COLUMN front.applied_events.run_id IS 'Airflow run that applied it.';

CREATE TABLE IF NOT EXISTS front.children_synced (
    resource         text          NOT NULL,
    conversation_id  text          NOT NULL,
    through          numeric(15,3) NOT NULL,
    synced_at        timestamptz   NOT NULL DEFAULT now(),
    run_id           text          NOT NULL,
    PRIMARY KEY (resource, conversation_id)
);
COMMENT ON TABLE front.children_synced IS 'Per conversation and child resource: the conversation updated_at its messages (or comments) are current for.';
COMMENT ON COLUMN front.children_synced.resource IS 'Child resource name from front_sync.resources (messages, comments).';
COMMENT ON COLUMN front.children_synced.conversation_id IS 'Front conversation id.';
COMMENT ON COLUMN front.children_synced.through IS 'Conversation updated_at (epoch seconds) the children are known current for; a listing that shows a later one queues a fetch.';
COMMENT ON COLUMN front.children_synced.synced_at IS 'When the marker last moved.';
COMMENT ON COLUMN front.children_synced.run_id IS 'Airflow run that last moved it.';
