-- Monitoring and data care: alert state (one alert per condition until it clears), the monitor's cursors over
-- dead_letters and sync_conflicts, and sync_logs types for the retention purge and dead-letter replays.

CREATE TABLE IF NOT EXISTS front.alert_state (
    alert_key    text PRIMARY KEY,
    alert        text        NOT NULL,
    since        timestamptz,
    opened_at    timestamptz NOT NULL DEFAULT now(),
    last_seen_at timestamptz NOT NULL DEFAULT now(),
    notified_at  timestamptz,
    figure       text,
    cleared_at   timestamptz
);
CREATE INDEX IF NOT EXISTS alert_state_open_idx ON front.alert_state (alert) WHERE cleared_at IS NULL;
COMMENT ON TABLE front.alert_state IS 'One row per alert condition (e.g. stale:contacts): open while it holds, so it is sent once until it clears.';
COMMENT ON COLUMN front.alert_state.alert_key IS 'The condition: alert name plus what it is about (resource, dag.task).';
COMMENT ON COLUMN front.alert_state.alert IS 'Alert name (stale_resource, failure_rate, slow_run, quota, repeated_failures, dead_letters, conflicts).';
COMMENT ON COLUMN front.alert_state.since IS 'Since when the condition holds, as the check computed it.';
COMMENT ON COLUMN front.alert_state.opened_at IS 'When a check (or a failure callback) first saw the condition, this time round.';
COMMENT ON COLUMN front.alert_state.last_seen_at IS 'The last check that still saw it.';
COMMENT ON COLUMN front.alert_state.notified_at IS 'When the alert was sent (null: not sent yet, e.g. delivery failed).';
COMMENT ON COLUMN front.alert_state.figure IS 'The figure against its threshold, as the last check saw it.';
COMMENT ON COLUMN front.alert_state.cleared_at IS 'When a check found the condition gone; null while open.';

CREATE TABLE IF NOT EXISTS front.monitor_cursors (
    name       text PRIMARY KEY,
    last_id    bigint      NOT NULL,
    checked_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE front.monitor_cursors IS 'The largest id of dead_letters / sync_conflicts a monitor check has reported: newer rows are new.';
COMMENT ON COLUMN front.monitor_cursors.name IS 'The table watched (dead_letters, sync_conflicts).';
COMMENT ON COLUMN front.monitor_cursors.last_id IS 'Largest id reported so far.';
COMMENT ON COLUMN front.monitor_cursors.checked_at IS 'When the cursor was last moved.';

ALTER TABLE front.sync_logs DROP CONSTRAINT IF EXISTS sync_logs_sync_type_check;
ALTER TABLE front.sync_logs ADD CONSTRAINT sync_logs_sync_type_check
    CHECK (sync_type IN ('full', 'incremental', 'backfill', 'on_demand', 'retention', 'replay'));
COMMENT ON COLUMN front.sync_logs.sync_type IS 'full (complete listing), incremental (since the watermark), backfill, on_demand, retention (purge of old message bodies) or replay (dead letters loaded again).';

