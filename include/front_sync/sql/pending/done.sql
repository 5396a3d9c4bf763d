-- Finish claimed rows: delete those still at the generation claimed; a row asked for again meanwhile is released
-- for the next consumer instead (its attempts start over, the claim just succeeded).
WITH finished AS (
    SELECT * FROM unnest(%(ids)s::text[], %(generations)s::bigint[]) AS f(conversation_id, generation)
), removed AS (
    DELETE FROM front.sync_pending AS p USING finished AS f
    WHERE p.resource = %(resource)s AND p.conversation_id = f.conversation_id AND p.generation = f.generation
    RETURNING p.conversation_id
)
UPDATE front.sync_pending AS p
SET claimed_by = NULL, claimed_until = NULL, attempts = 0, last_error = NULL
FROM finished AS f
WHERE p.resource = %(resource)s AND p.conversation_id = f.conversation_id AND p.claimed_by = %(worker)s
  AND p.conversation_id NOT IN (SELECT conversation_id FROM removed)
