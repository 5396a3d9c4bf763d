-- Remember applied events, in the transaction that applied them.
INSERT INTO front.applied_events (event_id, emitted_at, run_id)
SELECT unnest(%(ids)s::text[]), unnest(%(emitted_at)s::numeric[]), %(run_id)s
ON CONFLICT (event_id) DO NOTHING
