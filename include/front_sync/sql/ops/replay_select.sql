-- Dead letters not replayed yet, optionally of one resource and/or whose error contains a text (any case).
SELECT id, resource, payload, payload_text, view_at
FROM front.dead_letters
WHERE replayed_at IS NULL
  AND (%(resource)s::text IS NULL OR resource = %(resource)s)
  AND (%(error_contains)s::text IS NULL OR strpos(lower(error), lower(%(error_contains)s::text)) > 0)
ORDER BY resource, id
