-- Heartbeat: extend the leases this consumer still holds on the claims it is working (issue 19 item 5), so a slow
-- conversation is never taken by a second consumer while the first still fetches it.
UPDATE front.sync_pending
SET claimed_until = now() + make_interval(secs => %(lease_seconds)s)
WHERE resource = %(resource)s AND claimed_by = %(worker)s AND conversation_id = ANY(%(ids)s::text[])
