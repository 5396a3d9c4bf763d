-- Claim the next free rows (most urgent, then oldest first) for one consumer, skipping rows other consumers hold;
-- %(only)s limits the claim to given conversations (an on-demand run fetches only its own); %(up_to)s leaves less
-- urgent requests (the nightly verification's) to their own consumer. Each claim carries the
-- conversation's stored updated_at (a complete fetch starting now covers at least that: children_synced.through)
-- and the claim's time on the warehouse clock (a child written at or after it is newer than the fetch).
WITH next AS (
    SELECT resource, conversation_id FROM front.sync_pending
    WHERE resource = %(resource)s
      AND (claimed_until IS NULL OR claimed_until < now())
      AND (%(only)s::text[] IS NULL OR conversation_id = ANY(%(only)s::text[]))
      AND priority <= %(up_to)s
    ORDER BY priority, enqueued_at, conversation_id
    LIMIT %(limit)s
    FOR UPDATE SKIP LOCKED
)
UPDATE front.sync_pending AS p
SET attempts = p.attempts + 1, claimed_by = %(worker)s,
    claimed_until = now() + make_interval(secs => %(lease_seconds)s)
FROM next
WHERE p.resource = next.resource AND p.conversation_id = next.conversation_id
RETURNING p.conversation_id, p.generation, p.attempts,
          (SELECT c.updated_at FROM front.conversations AS c WHERE c.id = p.conversation_id),
          now()
