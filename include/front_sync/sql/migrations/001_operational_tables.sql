-- The audit log and the tables that account for every record that did not simply load.

CREATE TABLE IF NOT EXISTS front.sync_logs (
    id                      bigserial PRIMARY KEY,
    run_id                  text        NOT NULL,
    dag_id                  text        NOT NULL,
    task_id                 text        NOT NULL,
    try_number              integer     NOT NULL DEFAULT 1,
    resource                text        NOT NULL,
    sync_type               text        NOT NULL CHECK (sync_type IN ('full', 'incremental', 'backfill', 'on_demand')),
    status                  text        NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'success', 'failed')),
    started_at              timestamptz NOT NULL DEFAULT now(),
    completed_at            timestamptz,
    window_start            numeric(15,3),
    window_end              numeric(15,3),
    watermark_before        numeric(15,3),
    watermark_after         numeric(15,3),
    fetched                 integer     NOT NULL DEFAULT 0,
    created                 integer     NOT NULL DEFAULT 0,
    updated                 integer     NOT NULL DEFAULT 0,
    unchanged               integer     NOT NULL DEFAULT 0,
    stale                   integer     NOT NULL DEFAULT 0,
    conflicts               integer     NOT NULL DEFAULT 0,
    dead_lettered           integer     NOT NULL DEFAULT 0,
    deleted                 integer     NOT NULL DEFAULT 0,
    api_calls               integer     NOT NULL DEFAULT 0,
    retries                 integer     NOT NULL DEFAULT 0,
    rate_limit_waits        integer     NOT NULL DEFAULT 0,
    rate_limit_wait_seconds numeric(12,3) NOT NULL DEFAULT 0,
    bytes_received          bigint      NOT NULL DEFAULT 0,
    error_message           text,
    metadata                jsonb       NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX IF NOT EXISTS sync_logs_resource_started_idx ON front.sync_logs (resource, started_at DESC);
CREATE INDEX IF NOT EXISTS sync_logs_run_idx ON front.sync_logs (run_id);
COMMENT ON TABLE front.sync_logs IS 'One row per sync task run and resource: window, counts, API use, outcome. '
    'fetched = created + updated + unchanged + stale + conflicts + dead_lettered on every finished row.';
COMMENT ON COLUMN front.sync_logs.window_start IS 'Lower bound sent to Front (epoch seconds), null for a full listing.';
COMMENT ON COLUMN front.sync_logs.stale IS 'Records older than the stored row (Front timestamp), skipped.';
COMMENT ON COLUMN front.sync_logs.conflicts IS 'Records not applied because the stored row was edited locally later; see sync_conflicts.';

CREATE TABLE IF NOT EXISTS front.dead_letters (
    id           bigserial PRIMARY KEY,
    resource     text        NOT NULL,
    record_id    text,
    payload      jsonb,
    payload_text text,
    error        text        NOT NULL,
    sync_run_id  text        NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    replayed_at  timestamptz
);
CREATE INDEX IF NOT EXISTS dead_letters_open_idx ON front.dead_letters (resource, created_at) WHERE replayed_at IS NULL;
COMMENT ON TABLE front.dead_letters IS 'Records that could not be transformed or loaded, kept whole for replay; the rest of their batch loaded.';
COMMENT ON COLUMN front.dead_letters.payload_text IS 'The record as text when it is not valid jsonb (NUL characters already removed).';

CREATE TABLE IF NOT EXISTS front.sync_conflicts (
    id             bigserial PRIMARY KEY,
    resource       text        NOT NULL,
    record_id      text        NOT NULL,
    stored_row     jsonb       NOT NULL,
    incoming_row   jsonb       NOT NULL,
    incoming_hash  text        NOT NULL,
    sync_run_id    text        NOT NULL,
    detected_at    timestamptz NOT NULL DEFAULT now(),
    resolved_at    timestamptz,
    resolution     text
);
CREATE INDEX IF NOT EXISTS sync_conflicts_open_idx ON front.sync_conflicts (resource, detected_at) WHERE resolved_at IS NULL;
COMMENT ON TABLE front.sync_conflicts IS 'A row edited locally after the incoming Front timestamp: both versions, for manual review.';
