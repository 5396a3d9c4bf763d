-- After a complete fetch of one conversation's messages (or comments): soft-delete the rows of that conversation
-- Front no longer returned (a deleted draft or comment).
UPDATE {table} AS t SET deleted_at = now(), sync_run_id = %(run_id)s
WHERE t.conversation_id = %(conversation_id)s AND t.deleted_at IS NULL AND NOT (t.id = ANY(%(kept)s::text[]))
