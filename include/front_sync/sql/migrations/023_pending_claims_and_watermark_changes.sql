-- The pending queue becomes safe for several consumers at once, and every watermark move is recorded.
--
-- Consumers (the hourly run, a backfill, an on-demand run) claim rows with FOR UPDATE SKIP LOCKED and a lease
-- (claimed_until) that lapses when a worker dies; a request queued again while claimed bumps `generation`, so
-- finishing the claim never deletes the newer request. Priority: on-demand first, then hourly, then backfill.

ALTER TABLE front.sync_pending
    ADD COLUMN IF NOT EXISTS priority      smallint    NOT NULL DEFAULT 1,
    ADD COLUMN IF NOT EXISTS generation    bigint      NOT NULL DEFAULT 1,
    ADD COLUMN IF NOT EXISTS claimed_by    text,
    ADD COLUMN IF NOT EXISTS claimed_until timestamptz,
    ADD COLUMN IF NOT EXISTS last_error    text;
CREATE INDEX IF NOT EXISTS sync_pending_next_idx ON front.sync_pending (resource, priority, enqueued_at, conversation_id);
COMMENT ON COLUMN front.sync_pending.priority IS '0 on-demand, 1 hourly changes, 2 backfill: the queue is worked in this order, then oldest first.';
COMMENT ON COLUMN front.sync_pending.generation IS 'Goes up each time the fetch is asked for again; a consumer deletes the row only if it is still the generation it claimed.';
COMMENT ON COLUMN front.sync_pending.claimed_by IS 'The task try working on the row now (null when free).';
COMMENT ON COLUMN front.sync_pending.claimed_until IS 'End of the claim''s lease, or after a failed try the earliest time of the next one; a dead worker''s claim lapses here.';
COMMENT ON COLUMN front.sync_pending.last_error IS 'Why the last try failed (error class and message, no record values).';
COMMENT ON COLUMN front.sync_pending.attempts IS 'Tries that did not finish the row; at the configured maximum it goes to dead_letters.';

CREATE TABLE IF NOT EXISTS front.watermark_changes (
    id               bigserial   PRIMARY KEY,
    resource         text        NOT NULL,
    value_before     numeric(15,3),
    value_after      numeric(15,3) NOT NULL,
    reason           text        NOT NULL,
    run_id           text        NOT NULL,
    dag_id           text        NOT NULL,
    task_id          text        NOT NULL,
    try_number       integer     NOT NULL,
    changed_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS watermark_changes_resource_idx ON front.watermark_changes (resource, changed_at DESC);
COMMENT ON TABLE front.watermark_changes IS 'Every change of a front_sync.watermark.<resource> Variable: who moved it, from where to where, why.';
COMMENT ON COLUMN front.watermark_changes.id IS 'Row id.';
COMMENT ON COLUMN front.watermark_changes.resource IS 'Resource name from front_sync.resources.';
COMMENT ON COLUMN front.watermark_changes.value_before IS 'The cursor before the change (null when there was none).';
COMMENT ON COLUMN front.watermark_changes.value_after IS 'The cursor after the change (Front epoch seconds).';
COMMENT ON COLUMN front.watermark_changes.reason IS 'advanced (a committed batch), initialised (first run or backfill start), or reset (by an operator script).';
COMMENT ON COLUMN front.watermark_changes.run_id IS 'Airflow run that changed it.';
COMMENT ON COLUMN front.watermark_changes.dag_id IS 'Airflow DAG that changed it.';
COMMENT ON COLUMN front.watermark_changes.task_id IS 'Airflow task that changed it.';
COMMENT ON COLUMN front.watermark_changes.try_number IS 'Airflow try of the task.';
COMMENT ON COLUMN front.watermark_changes.changed_at IS 'When the Variable was written.';
