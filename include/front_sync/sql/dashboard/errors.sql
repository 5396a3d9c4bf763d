-- Failed task tries grouped by resource, task and message (error class and message only: the sync never writes
-- record values there): first and last seen, how often, the newest try for a log link, and resolved_at, the end
-- of the resource's first successful sync after the last failure (null: still open).
SELECT e.resource, e.dag_id, e.task_id, e.error_message, e.tries, e.first_seen, e.last_seen,
       n.run_id, n.try_number, r.completed_at AS resolved_at
FROM (
    SELECT resource, dag_id, task_id, error_message, count(*) AS tries,
           min(started_at) AS first_seen, max(started_at) AS last_seen, max(id) AS newest_id
    FROM front.sync_logs
    WHERE status = 'failed' AND started_at >= now() - make_interval(days => %(days)s)
    GROUP BY resource, dag_id, task_id, error_message
) AS e
JOIN front.sync_logs AS n ON n.id = e.newest_id
LEFT JOIN LATERAL (
    SELECT completed_at FROM front.sync_logs
    WHERE resource = e.resource AND status = 'success' AND started_at > e.last_seen
    ORDER BY started_at LIMIT 1
) AS r ON true
ORDER BY r.completed_at IS NOT NULL, e.last_seen DESC
LIMIT %(limit)s
