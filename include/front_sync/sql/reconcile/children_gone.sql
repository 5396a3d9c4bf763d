-- After a complete fetch of one conversation's messages (or comments): soft-delete the rows of that conversation
-- Front no longer returned (a deleted draft or comment). Only rows last written before the fetch started: a row
-- written since (the events path, or another consumer's later fetch) holds a newer view than this fetch and
-- must never be deleted by it (issue 19 item 5).
UPDATE {table} AS t SET deleted_at = now(), sync_run_id = %(run_id)s
WHERE t.conversation_id = %(conversation_id)s AND t.deleted_at IS NULL AND NOT (t.id = ANY(%(kept)s::text[]))
  AND t.last_synced_at < %(fetch_started)s
