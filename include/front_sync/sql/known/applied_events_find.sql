-- Which of these events an earlier run already applied (the overlap below the watermark is read again).
SELECT event_id FROM front.applied_events WHERE event_id = ANY(%(ids)s::text[])
