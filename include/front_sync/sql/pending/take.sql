-- The next conversations to fetch, oldest request first; counting the attempt first shows stuck rows.
UPDATE front.sync_pending AS p SET attempts = p.attempts + 1
FROM (SELECT conversation_id FROM front.sync_pending WHERE resource = %(resource)s
      ORDER BY enqueued_at, conversation_id LIMIT %(limit)s) AS next
WHERE p.resource = %(resource)s AND p.conversation_id = next.conversation_id
RETURNING p.conversation_id
