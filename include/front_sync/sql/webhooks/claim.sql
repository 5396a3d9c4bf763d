-- Claim the oldest stored webhooks not yet applied for one real-time run, skipping rows another run holds
-- (FOR UPDATE SKIP LOCKED) or leased to one (claimed_until in the future; also a failed try's back-off).
-- Each claim counts one attempt; a run that dies leaves its rows free once the lease lapses.
WITH next AS (
    SELECT id FROM front.webhook_events
    WHERE applied_at IS NULL AND (claimed_until IS NULL OR claimed_until < clock_timestamp())
    ORDER BY id
    LIMIT %(limit)s
    FOR UPDATE SKIP LOCKED
)
UPDATE front.webhook_events AS w
SET claimed_by = %(worker)s, claimed_until = clock_timestamp() + make_interval(secs => %(lease_seconds)s),
    attempts = w.attempts + 1
FROM next
WHERE w.id = next.id
RETURNING w.id, w.event_id, w.payload, w.attempts
