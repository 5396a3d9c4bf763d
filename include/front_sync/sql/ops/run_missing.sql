-- Conversations a run's sub-resource tasks found missing in Front (404; sync_logs.metadata.missing, counts only).
SELECT resource, sum((metadata ->> 'missing')::int) AS missing, sum((metadata ->> 'conversations')::int) AS asked
FROM front.sync_logs
WHERE run_id = %(run_id)s AND dag_id = %(dag_id)s AND jsonb_typeof(metadata -> 'missing') = 'number'
GROUP BY resource
HAVING sum((metadata ->> 'missing')::int) > 0
ORDER BY resource
