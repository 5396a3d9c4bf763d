-- The last %(per_resource)s sync_logs rows of each resource (any status), oldest first: the per-resource strip.
SELECT resource, status, sync_type, dag_id, run_id, task_id, try_number, started_at, duration_seconds, fetched
FROM (
    SELECT l.*, row_number() OVER (PARTITION BY resource ORDER BY started_at DESC, id DESC) AS position
    FROM front.sync_logs AS l
    WHERE resource = ANY(%(resources)s) AND started_at >= now() - make_interval(days => %(days)s)
) AS ranked
WHERE position <= %(per_resource)s
ORDER BY resource, started_at, id
