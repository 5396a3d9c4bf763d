-- A claimed webhook could not be applied this time: free it after a back-off (claimed_until = not before) and
-- keep the error (never a message body: the error names the record and the API answer only).
UPDATE front.webhook_events
SET claimed_by = NULL, claimed_until = clock_timestamp() + make_interval(secs => %(retry_after_seconds)s),
    last_error = %(error)s
WHERE id = ANY(%(ids)s::bigint[]) AND claimed_by = %(worker)s AND applied_at IS NULL
