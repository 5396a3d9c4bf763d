-- Finish claimed rows: delete those still at the generation claimed; a row asked for again meanwhile is released
-- for the next consumer instead (its attempts start over, the claim just succeeded). The fetch was complete, so the
-- conversation's sub-resources are current as of the updated_at it had when claimed: move its children_synced marker.
WITH finished AS (
    SELECT * FROM unnest(%(ids)s::text[], %(generations)s::bigint[], %(as_of)s::numeric[])
        AS f(conversation_id, generation, as_of)
), removed AS (
    DELETE FROM front.sync_pending AS p USING finished AS f
    WHERE p.resource = %(resource)s AND p.conversation_id = f.conversation_id AND p.generation = f.generation
    RETURNING p.conversation_id
), marked AS (
    INSERT INTO front.children_synced AS s (resource, conversation_id, through, run_id)
    SELECT %(resource)s, f.conversation_id, f.as_of, %(run_id)s FROM finished AS f WHERE f.as_of IS NOT NULL
    ON CONFLICT (resource, conversation_id) DO UPDATE
    SET through = greatest(s.through, excluded.through), synced_at = now(), run_id = excluded.run_id
)
UPDATE front.sync_pending AS p
SET claimed_by = NULL, claimed_until = NULL, attempts = 0, last_error = NULL
FROM finished AS f
WHERE p.resource = %(resource)s AND p.conversation_id = f.conversation_id AND p.claimed_by = %(worker)s
  AND p.conversation_id NOT IN (SELECT conversation_id FROM removed)
