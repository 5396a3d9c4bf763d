-- Per resource: its last successful sync (and that sync's age) and its newest sync_logs row of any status.
SELECT r.resource,
       s.completed_at AS last_success_at,
       round(extract(epoch FROM now() - s.completed_at)::numeric, 0) AS age_seconds,
       l.status, l.sync_type, l.dag_id, l.run_id, l.task_id, l.try_number, l.started_at, l.completed_at,
       l.duration_seconds, l.fetched, l.created, l.updated, l.unchanged, l.stale, l.conflicts, l.dead_lettered,
       l.deleted, l.api_calls
FROM unnest(%(resources)s::text[]) WITH ORDINALITY AS r(resource, position)
LEFT JOIN LATERAL (
    SELECT completed_at FROM front.sync_logs
    WHERE resource = r.resource AND status = 'success'
    ORDER BY completed_at DESC LIMIT 1
) AS s ON true
LEFT JOIN LATERAL (
    SELECT * FROM front.sync_logs
    WHERE resource = r.resource
    ORDER BY started_at DESC, id DESC LIMIT 1
) AS l ON true
ORDER BY r.position
