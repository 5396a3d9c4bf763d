-- Tasks whose runs failed %(threshold)s or more times in a row: the distinct runs with a failed try since the
-- task's last successful try, and when the first of them started. %(dag_id)s / %(task_id)s narrow it to one task.
WITH last_ok AS (
    SELECT dag_id, task_id, max(started_at) AS ok_at
    FROM front.sync_logs WHERE status = 'success' GROUP BY dag_id, task_id
)
SELECT l.dag_id, l.task_id, count(DISTINCT l.run_id) AS failed_runs, min(l.started_at) AS since
FROM front.sync_logs AS l
LEFT JOIN last_ok AS o ON o.dag_id = l.dag_id AND o.task_id = l.task_id
WHERE l.status = 'failed' AND (o.ok_at IS NULL OR l.started_at > o.ok_at) AND l.started_at <= %(now)s
  AND (%(dag_id)s::text IS NULL OR l.dag_id = %(dag_id)s) AND (%(task_id)s::text IS NULL OR l.task_id = %(task_id)s)
GROUP BY l.dag_id, l.task_id
HAVING count(DISTINCT l.run_id) >= %(threshold)s
ORDER BY l.dag_id, l.task_id
