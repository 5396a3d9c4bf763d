-- A claimed fetch failed: free the row after a back-off (claimed_until = not before), keep the error.
UPDATE front.sync_pending
SET claimed_by = NULL, claimed_until = now() + make_interval(secs => %(retry_after_seconds)s), last_error = %(error)s
WHERE resource = %(resource)s AND conversation_id = %(conversation_id)s AND claimed_by = %(worker)s
