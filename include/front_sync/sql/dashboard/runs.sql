-- One row per DAG run over the last %(days)s days, newest first: its span, records, API calls and the lowest
-- Front quota remaining any of its tasks saw (sync_logs.metadata, written by hooks/metrics.py).
SELECT dag_id, run_id,
       min(started_at) AS started_at,
       round(extract(epoch FROM max(coalesce(completed_at, now())) - min(started_at))::numeric, 3) AS duration_seconds,
       sum(fetched) AS records,
       sum(api_calls) AS api_calls,
       min(CASE WHEN jsonb_typeof(metadata -> 'quota_remaining_min') = 'number'
                THEN (metadata ->> 'quota_remaining_min')::numeric END) AS quota_remaining_min,
       max(CASE WHEN jsonb_typeof(metadata -> 'quota_limit') = 'number'
                THEN (metadata ->> 'quota_limit')::numeric END) AS quota_limit,
       count(*) FILTER (WHERE status = 'failed') AS failed_tasks,
       count(*) FILTER (WHERE status = 'running') AS running_tasks
FROM front.sync_logs
WHERE started_at >= now() - make_interval(days => %(days)s)
GROUP BY dag_id, run_id
ORDER BY min(started_at) DESC
LIMIT %(limit)s
