SELECT count(*) FROM front.sync_pending
WHERE resource = %(resource)s AND (%(only)s::text[] IS NULL OR conversation_id = ANY(%(only)s::text[]))
