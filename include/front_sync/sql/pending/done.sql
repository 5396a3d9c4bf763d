DELETE FROM front.sync_pending WHERE resource = %(resource)s AND conversation_id = ANY(%(ids)s::text[])
