-- Per resource the scheduled DAGs sync: its last successful sync and its first sync_logs row, and when this
-- deployment wrote its first row at all (a resource never synced is late from then on).
SELECT r.resource,
       max(l.completed_at) FILTER (WHERE l.status = 'success') AS last_success,
       min(l.started_at) AS first_row,
       (SELECT min(started_at) FROM front.sync_logs) AS deployment_start
FROM unnest(%(resources)s::text[]) AS r(resource)
LEFT JOIN front.sync_logs AS l
       ON l.resource = r.resource AND l.sync_type NOT IN ('retention', 'replay') AND l.started_at <= %(now)s
GROUP BY r.resource
ORDER BY r.resource
