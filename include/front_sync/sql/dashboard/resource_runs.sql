-- Records and duration per resource and DAG run over the last %(days)s days: the charts' per-resource split.
SELECT dag_id, run_id, resource, min(started_at) AS started_at, sum(fetched) AS records,
       sum(duration_seconds) AS duration_seconds, bool_or(status = 'failed') AS failed
FROM front.sync_logs
WHERE started_at >= now() - make_interval(days => %(days)s)
GROUP BY dag_id, run_id, resource
ORDER BY min(started_at) DESC
LIMIT %(limit)s
