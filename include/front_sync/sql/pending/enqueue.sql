-- Ask for a fetch. Asking again raises the generation (a consumer that claimed the older request leaves the row)
-- and keeps the most urgent priority and the OLDEST request time (issue 19 item 9: a conversation asked for every
-- hour would otherwise go to the back of its class each time and, behind a backlog, never be fetched).
INSERT INTO front.sync_pending AS p (resource, conversation_id, enqueued_by, priority)
SELECT %(resource)s, unnest(%(ids)s::text[]), %(run_id)s, %(priority)s
ON CONFLICT (resource, conversation_id) DO UPDATE
SET enqueued_by = excluded.enqueued_by, generation = p.generation + 1,
    priority = LEAST(p.priority, excluded.priority)
