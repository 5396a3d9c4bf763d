-- Hand back rows this consumer claimed but did not start (a cap or deadline stopped it): free at once.
UPDATE front.sync_pending SET claimed_by = NULL, claimed_until = NULL, attempts = greatest(attempts - 1, 0)
WHERE resource = %(resource)s AND claimed_by = %(worker)s AND conversation_id = ANY(%(ids)s::text[])
