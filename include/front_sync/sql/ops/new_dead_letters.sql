-- Dead letters written after the monitor's cursor and not replayed yet, per resource.
SELECT resource, count(*) AS rows, min(created_at) AS since
FROM front.dead_letters
WHERE id > %(after)s AND id <= %(upto)s AND replayed_at IS NULL
GROUP BY resource ORDER BY resource
