-- Of these conversations (id, updated_at as just listed), the ones whose sub-resources are not known current for that
-- updated_at: no marker, an older one, or an undated listing entry.
SELECT c.id
FROM unnest(%(ids)s::text[], %(updated_at)s::numeric[]) AS c(id, updated_at)
LEFT JOIN front.children_synced AS s ON s.resource = %(resource)s AND s.conversation_id = c.id
WHERE c.updated_at IS NULL OR s.through IS NULL OR s.through < c.updated_at
