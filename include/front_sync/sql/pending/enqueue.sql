INSERT INTO front.sync_pending (resource, conversation_id, enqueued_by)
SELECT %(resource)s, unnest(%(ids)s::text[]), %(run_id)s
ON CONFLICT (resource, conversation_id) DO UPDATE SET enqueued_at = now(), enqueued_by = excluded.enqueued_by
