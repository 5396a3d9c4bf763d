-- sync_logs rows of the most recent DAG runs, oldest first (for the demo and operators' quick looks).
WITH recent AS (
    SELECT run_id, max(started_at) AS last_start FROM front.sync_logs
    GROUP BY run_id ORDER BY last_start DESC LIMIT %(runs)s
)
SELECT l.dag_id || ' ' || to_char(l.started_at, 'HH24:MI:SS'), l.resource, l.sync_type, l.status, l.fetched, l.created,
       l.updated, l.unchanged, l.deleted, l.api_calls,
       round(extract(epoch FROM l.completed_at - l.started_at)::numeric, 2)
FROM front.sync_logs AS l JOIN recent USING (run_id)
ORDER BY l.started_at, l.id
