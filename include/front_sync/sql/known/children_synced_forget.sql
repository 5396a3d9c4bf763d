-- Move markers back to "unknown" (issue 19 item 3): the conversations' sub-resources are not proven current (a 404
-- that may reverse, a fetch given up), so the next listing or verification fetches them again.
DELETE FROM front.children_synced WHERE resource = %(resource)s AND conversation_id = ANY(%(ids)s::text[])
