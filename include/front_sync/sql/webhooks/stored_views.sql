-- The view time of stored records of one resource ({table}: from the resource table), by id: a webhook naming a
-- record stored with a view at least as new as its event needs no fetch.
SELECT id, view_at FROM {table} WHERE id = ANY(%(ids)s::text[])
