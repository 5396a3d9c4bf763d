-- The newest failed task tries (error class and message only: the sync never writes record values there).
SELECT dag_id, run_id, task_id, try_number, resource, sync_type, started_at, completed_at, error_message
FROM front.sync_logs
WHERE status = 'failed'
ORDER BY started_at DESC, id DESC
LIMIT %(limit)s
