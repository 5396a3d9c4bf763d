-- Live rows in scope, and how many of them the listing did not return (checked before deleting anything).
-- A join, not NOT EXISTS inside the aggregate's FILTER: that form runs the subquery once per row.
SELECT count(*) FILTER (WHERE i.id IS NULL), count(*)
FROM {table} AS t
LEFT JOIN (SELECT DISTINCT id FROM {ids}) AS i ON i.id = t.id
WHERE t.deleted_at IS NULL AND {scope}
