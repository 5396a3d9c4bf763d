-- Mark claimed webhooks done with their outcome, in the transaction that commits the rows they changed; only the
-- claim's holder may (a run whose lease lapsed and was taken over leaves them to the new holder).
UPDATE front.webhook_events
SET applied_at = clock_timestamp(), outcome = %(outcome)s, claimed_by = NULL, claimed_until = NULL,
    last_error = CASE WHEN %(outcome)s = 'dead_lettered' THEN %(error)s ELSE NULL END
WHERE id = ANY(%(ids)s::bigint[]) AND claimed_by = %(worker)s AND applied_at IS NULL
RETURNING id
