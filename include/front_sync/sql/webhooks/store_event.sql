-- One accepted webhook: stored once per Front event id; a further delivery (Front's retry, a duplicate, a replay
-- within the window) only counts itself. RETURNING says whether this delivery stored the event.
INSERT INTO front.webhook_events (event_id, company_id, event_type, emitted_at, sent_at, payload)
VALUES (%(event_id)s, %(company_id)s, %(event_type)s, to_timestamp(%(emitted_at)s), to_timestamp(%(sent_at_ms)s / 1000.0),
        %(payload)s::jsonb)
ON CONFLICT (event_id) DO UPDATE SET deliveries = front.webhook_events.deliveries + 1
RETURNING (xmax = 0) AS stored
