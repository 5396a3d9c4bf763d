INSERT INTO front.dead_letters (resource, record_id, payload, payload_text, error, sync_run_id, view_at)
VALUES (%s, %s, %s::jsonb, %s, %s, %s, %s)
