-- Conflicts recorded after the monitor's cursor and not resolved yet, per resource.
SELECT resource, count(*) AS rows, min(detected_at) AS since
FROM front.sync_conflicts
WHERE id > %(after)s AND id <= %(upto)s AND resolved_at IS NULL
GROUP BY resource ORDER BY resource
