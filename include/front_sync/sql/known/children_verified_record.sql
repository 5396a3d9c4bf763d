-- A complete fetch read every sub-resource row of these conversations: they are verified now.
INSERT INTO front.children_verified AS v (resource, conversation_id, run_id)
SELECT %(resource)s, unnest(%(ids)s::text[]), %(run_id)s
ON CONFLICT (resource, conversation_id) DO UPDATE SET verified_at = now(), run_id = excluded.run_id
