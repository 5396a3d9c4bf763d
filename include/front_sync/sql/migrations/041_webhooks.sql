-- Real time (issue 21): Front's application webhooks, stored by the receiver (include/front_sync/realtime) before it
-- answers 200, and applied by the real-time DAG through the same loader and version rule as every other write.
-- A webhook is a signal: /events stays the record and the hourly run repairs whatever webhooks dropped.

CREATE TABLE IF NOT EXISTS front.webhook_events (
    id              bigserial   PRIMARY KEY,
    event_id        text        NOT NULL UNIQUE,
    company_id      text        NOT NULL,
    event_type      text        NOT NULL,
    emitted_at      timestamptz,
    sent_at         timestamptz NOT NULL,
    received_at     timestamptz NOT NULL DEFAULT clock_timestamp(),
    deliveries      integer     NOT NULL DEFAULT 1,
    payload         jsonb       NOT NULL,
    claimed_by      text,
    claimed_until   timestamptz,
    attempts        integer     NOT NULL DEFAULT 0,
    last_error      text,
    applied_at      timestamptz,
    outcome         text        CHECK (outcome IN ('applied', 'stale', 'dead_lettered', 'ignored'))
);
COMMENT ON TABLE front.webhook_events IS 'Front application webhooks as received (event previews: ids and links, no message bodies), one row per Front event id; applied_at is set in the transaction that committed the rows they changed.';
COMMENT ON COLUMN front.webhook_events.sent_at IS 'x-front-request-timestamp of the first accepted delivery: webhook-to-row lag is applied_at - sent_at.';
COMMENT ON COLUMN front.webhook_events.deliveries IS 'Accepted deliveries of this event id (Front retries; duplicates are counted, stored once).';
CREATE INDEX IF NOT EXISTS webhook_events_pending ON front.webhook_events (received_at) WHERE applied_at IS NULL;
CREATE INDEX IF NOT EXISTS webhook_events_applied ON front.webhook_events (applied_at) WHERE applied_at IS NOT NULL;

CREATE TABLE IF NOT EXISTS front.webhook_rejections (
    minute      timestamptz NOT NULL,
    reason      text        NOT NULL CHECK (reason IN ('unsigned', 'bad_signature', 'stale_timestamp', 'too_large',
                                                       'bad_content_type', 'bad_json', 'unknown_company')),
    count       bigint      NOT NULL DEFAULT 0,
    PRIMARY KEY (minute, reason)
);
COMMENT ON TABLE front.webhook_rejections IS 'Refused webhook requests per minute and reason (401/413/415/400): counts only, never the body.';

-- Wakes the real-time DAG's AssetWatcher (LISTEN front_sync_webhooks) as soon as a new event is stored.
CREATE OR REPLACE FUNCTION front.notify_webhook_stored() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('front_sync_webhooks', NEW.company_id);
    RETURN NULL;
END $$;
DROP TRIGGER IF EXISTS webhook_events_notify ON front.webhook_events;
CREATE TRIGGER webhook_events_notify AFTER INSERT ON front.webhook_events
    FOR EACH ROW EXECUTE FUNCTION front.notify_webhook_stored();

-- The real-time DAG's runs (resource 'webhooks') are sync_logs rows of their own kind.
ALTER TABLE front.sync_logs DROP CONSTRAINT IF EXISTS sync_logs_sync_type_check;
ALTER TABLE front.sync_logs ADD CONSTRAINT sync_logs_sync_type_check
    CHECK (sync_type IN ('full', 'incremental', 'backfill', 'on_demand', 'retention', 'replay', 'realtime'));
COMMENT ON COLUMN front.sync_logs.sync_type IS 'full (complete listing), incremental (since the watermark), backfill, on_demand, retention (purge of old message bodies), replay (dead letters loaded again) or realtime (stored webhooks applied).';
