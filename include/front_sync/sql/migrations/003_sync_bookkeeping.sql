-- Audit-log columns for exact accounting, resumable checkpoints, and indexes for the dashboard and replays.

ALTER TABLE front.sync_logs
    ADD COLUMN IF NOT EXISTS restored integer NOT NULL DEFAULT 0,
    ADD COLUMN IF NOT EXISTS fetched_not_loaded integer NOT NULL DEFAULT 0,
    ADD COLUMN IF NOT EXISTS synced integer GENERATED ALWAYS AS (created + updated + unchanged) STORED,
    ADD COLUMN IF NOT EXISTS duration_seconds numeric(12,3)
        GENERATED ALWAYS AS (round(extract(epoch FROM completed_at - started_at), 3)) STORED;
-- NOT VALID: enforced on every row written from now on, without failing on rows an older version wrote.
ALTER TABLE front.sync_logs
    ADD CONSTRAINT sync_logs_every_record_accounted
        CHECK (fetched = created + updated + unchanged + stale + conflicts + dead_lettered) NOT VALID,
    ADD CONSTRAINT sync_logs_success_loaded_everything
        CHECK (status <> 'success' OR fetched_not_loaded = 0) NOT VALID;
CREATE INDEX IF NOT EXISTS sync_logs_last_success_idx ON front.sync_logs (resource, completed_at DESC)
    WHERE status = 'success';

COMMENT ON COLUMN front.sync_logs.run_id IS 'Airflow run id of the DAG run.';
COMMENT ON COLUMN front.sync_logs.dag_id IS 'Airflow DAG that ran the sync.';
COMMENT ON COLUMN front.sync_logs.task_id IS 'Airflow task that ran the sync.';
COMMENT ON COLUMN front.sync_logs.try_number IS 'Airflow try of the task; each try writes its own row.';
COMMENT ON COLUMN front.sync_logs.resource IS 'Resource name from front_sync.resources.';
COMMENT ON COLUMN front.sync_logs.sync_type IS 'full (complete listing), incremental (since the watermark), backfill or on_demand.';
COMMENT ON COLUMN front.sync_logs.status IS 'running while the task works, then success or failed.';
COMMENT ON COLUMN front.sync_logs.started_at IS 'When the task started the sync of this resource.';
COMMENT ON COLUMN front.sync_logs.completed_at IS 'When the row was closed (success or failure).';
COMMENT ON COLUMN front.sync_logs.window_end IS 'Upper bound sent to Front (epoch seconds), null when unbounded.';
COMMENT ON COLUMN front.sync_logs.watermark_before IS 'The resource''s watermark when the task started.';
COMMENT ON COLUMN front.sync_logs.watermark_after IS 'The watermark after the task: only ever moves forward, only after commit.';
COMMENT ON COLUMN front.sync_logs.fetched IS 'Records fetched from Front and accounted for: created + updated + unchanged + stale + conflicts + dead_lettered.';
COMMENT ON COLUMN front.sync_logs.created IS 'Records inserted as new rows.';
COMMENT ON COLUMN front.sync_logs.updated IS 'Records that changed a stored row (or restored a soft-deleted one).';
COMMENT ON COLUMN front.sync_logs.unchanged IS 'Records identical to the stored row (row_hash), or superseded by a newer copy in the same batch; not rewritten.';
COMMENT ON COLUMN front.sync_logs.dead_lettered IS 'Records that could not be transformed or loaded; see dead_letters.';
COMMENT ON COLUMN front.sync_logs.deleted IS 'Rows soft-deleted because a completed full listing no longer returned them.';
COMMENT ON COLUMN front.sync_logs.restored IS 'Soft-deleted rows that a completed full listing returned again.';
COMMENT ON COLUMN front.sync_logs.fetched_not_loaded IS 'Records fetched in a batch that rolled back with the failure; the next try fetches them again. Always 0 on success.';
COMMENT ON COLUMN front.sync_logs.synced IS 'Records now current in the warehouse from this run: created + updated + unchanged.';
COMMENT ON COLUMN front.sync_logs.duration_seconds IS 'completed_at - started_at, in seconds.';
COMMENT ON COLUMN front.sync_logs.api_calls IS 'HTTP requests sent to Front by the task.';
COMMENT ON COLUMN front.sync_logs.retries IS 'Requests retried after a 5xx, timeout or connection error.';
COMMENT ON COLUMN front.sync_logs.rate_limit_waits IS 'Times the task waited for Front''s rate limit (429 or pacing).';
COMMENT ON COLUMN front.sync_logs.rate_limit_wait_seconds IS 'Seconds spent waiting for Front''s rate limit.';
COMMENT ON COLUMN front.sync_logs.bytes_received IS 'Response bytes received from Front.';
COMMENT ON COLUMN front.sync_logs.error_message IS 'Error class and message of a failed task (never record values).';
COMMENT ON COLUMN front.sync_logs.metadata IS 'Anything else worth keeping: pages, seconds, provisional contacts merged, ...';

CREATE TABLE IF NOT EXISTS front.sync_checkpoints (
    dag_id       text        NOT NULL,
    resource     text        NOT NULL,
    run_key      text        NOT NULL,
    cursor       jsonb       NOT NULL,
    sync_run_id  text,
    saves        integer     NOT NULL DEFAULT 1,
    first_saved_at timestamptz NOT NULL DEFAULT now(),
    saved_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (dag_id, resource, run_key)
);
COMMENT ON TABLE front.sync_checkpoints IS 'Where a long sync stopped: saved with every committed batch, so a retried or killed task resumes there.';
COMMENT ON COLUMN front.sync_checkpoints.run_key IS 'What the cursor belongs to (a backfill''s parameters, a DAG run); the same key resumes, a new key starts over.';
COMMENT ON COLUMN front.sync_checkpoints.cursor IS 'Resumable position (page URL without the token, last id, time range, ...), as JSON.';
COMMENT ON COLUMN front.sync_checkpoints.saves IS 'Number of batches checkpointed under this key.';
COMMENT ON COLUMN front.sync_checkpoints.sync_run_id IS 'Airflow run that saved the checkpoint last.';

CREATE INDEX IF NOT EXISTS sync_conflicts_record_idx ON front.sync_conflicts (resource, record_id) WHERE resolved_at IS NULL;
COMMENT ON COLUMN front.sync_conflicts.stored_row IS 'The stored row with its local edit (typed columns and bookkeeping).';
COMMENT ON COLUMN front.sync_conflicts.incoming_row IS 'The record Front sent, as stored in raw.';
COMMENT ON COLUMN front.sync_conflicts.incoming_hash IS 'row_hash of the incoming record: the same version is recorded once.';
COMMENT ON COLUMN front.sync_conflicts.resolution IS 'How a reviewer resolved it (kept_local, took_front, ...).';

CREATE INDEX IF NOT EXISTS dead_letters_record_idx ON front.dead_letters (resource, record_id);
CREATE INDEX IF NOT EXISTS dead_letters_run_idx ON front.dead_letters (sync_run_id);
COMMENT ON COLUMN front.dead_letters.record_id IS 'The record''s id when it had a readable one.';
COMMENT ON COLUMN front.dead_letters.payload IS 'The record as Front sent it (NUL characters removed; nesting beyond the encoder''s depth cut).';
COMMENT ON COLUMN front.dead_letters.error IS 'Why the record was rejected: the transform''s message or the database error (no values).';
COMMENT ON COLUMN front.dead_letters.replayed_at IS 'Set when the record was loaded again after a fix.';

COMMENT ON COLUMN front.sync_logs.id IS 'Row id.';
COMMENT ON COLUMN front.sync_checkpoints.dag_id IS 'Airflow DAG that owns the cursor.';
COMMENT ON COLUMN front.sync_checkpoints.resource IS 'Resource name from front_sync.resources.';
COMMENT ON COLUMN front.sync_checkpoints.first_saved_at IS 'When the first batch under this key was checkpointed.';
COMMENT ON COLUMN front.sync_checkpoints.saved_at IS 'When the cursor was last saved.';
COMMENT ON COLUMN front.sync_conflicts.id IS 'Row id.';
COMMENT ON COLUMN front.sync_conflicts.resource IS 'Resource name from front_sync.resources.';
COMMENT ON COLUMN front.sync_conflicts.record_id IS 'Front id of the row in conflict.';
COMMENT ON COLUMN front.sync_conflicts.sync_run_id IS 'Airflow run that met the conflict.';
COMMENT ON COLUMN front.sync_conflicts.detected_at IS 'When the conflict was recorded.';
COMMENT ON COLUMN front.sync_conflicts.resolved_at IS 'When a reviewer resolved it; open conflicts have null.';
COMMENT ON COLUMN front.dead_letters.id IS 'Row id.';
COMMENT ON COLUMN front.dead_letters.resource IS 'Resource name from front_sync.resources.';
COMMENT ON COLUMN front.dead_letters.sync_run_id IS 'Airflow run that received the record.';
COMMENT ON COLUMN front.dead_letters.created_at IS 'When the record was dead-lettered.';
COMMENT ON TABLE front.schema_migrations IS 'Warehouse migrations applied (sql/migrations/NNN_*.sql), each once, under an advisory lock.';
COMMENT ON COLUMN front.schema_migrations.version IS 'The NNN of the file name.';
COMMENT ON COLUMN front.schema_migrations.name IS 'File name of the migration.';
COMMENT ON COLUMN front.schema_migrations.checksum IS 'SHA-256 of the file as applied: a changed applied file is refused.';
COMMENT ON COLUMN front.schema_migrations.applied_at IS 'When the migration was applied.';
