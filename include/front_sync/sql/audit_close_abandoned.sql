-- Rows an earlier try of the same task left 'running' (it was killed: SIGKILL, OOM, a lost worker) are closed as
-- failed when the next try starts, so no row stays 'running' forever; what the killed try committed is kept.
UPDATE front.sync_logs
SET status = 'failed', completed_at = now(),
    error_message = 'Abandoned: try ' || try_number || ' ended without closing its row (killed or lost); try '
                    || %(try_number)s || ' took over'
WHERE run_id = %(run_id)s AND dag_id = %(dag_id)s AND task_id = %(task_id)s AND try_number < %(try_number)s
  AND status = 'running'
