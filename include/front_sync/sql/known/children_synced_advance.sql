-- Events applied with every sub-resource change carried in full: the conversation's sub-resources are current as of its
-- snapshot's updated_at. Moves an existing marker on; creates one only for a conversation born inside the feed
-- (all its events came through it). Never while a fetch of the conversation's sub-resources is queued (issue 19
-- item 3): that fetch is what would make them current, and if it ends in dead letters the marker must still be
-- behind, so a later listing or the rolling verification fetches them again.
INSERT INTO front.children_synced AS s (resource, conversation_id, through, run_id)
SELECT %(resource)s, c.id, c.through, %(run_id)s
FROM unnest(%(ids)s::text[], %(through)s::numeric[], %(born)s::boolean[]) AS c(id, through, born)
WHERE c.through IS NOT NULL
  AND (c.born OR EXISTS (SELECT 1 FROM front.children_synced AS x
                         WHERE x.resource = %(resource)s AND x.conversation_id = c.id))
  AND NOT EXISTS (SELECT 1 FROM front.sync_pending AS p
                  WHERE p.resource = %(resource)s AND p.conversation_id = c.id)
ON CONFLICT (resource, conversation_id) DO UPDATE
SET through = greatest(s.through, excluded.through), synced_at = now(), run_id = excluded.run_id
