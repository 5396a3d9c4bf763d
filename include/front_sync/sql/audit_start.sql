INSERT INTO front.sync_logs (run_id, dag_id, task_id, try_number, resource, sync_type, window_start, window_end,
                             watermark_before)
VALUES (%(run_id)s, %(dag_id)s, %(task_id)s, %(try_number)s, %(resource)s, %(sync_type)s, %(window_start)s,
        %(window_end)s, %(watermark_before)s)
RETURNING id
