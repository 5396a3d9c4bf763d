-- Hand claimed webhooks back untried (the run failed before applying them): free at once, the attempt uncounted.
UPDATE front.webhook_events
SET claimed_by = NULL, claimed_until = NULL, attempts = greatest(attempts - 1, 0)
WHERE id = ANY(%(ids)s::bigint[]) AND claimed_by = %(worker)s AND applied_at IS NULL
