-- Save a resumable cursor; saving again under the same key moves it on.
INSERT INTO front.sync_checkpoints AS c (dag_id, resource, run_key, cursor, sync_run_id)
VALUES (%(dag_id)s, %(resource)s, %(run_key)s, %(cursor)s::jsonb, %(run_id)s)
ON CONFLICT (dag_id, resource, run_key) DO UPDATE
SET cursor = excluded.cursor, sync_run_id = excluded.sync_run_id, saves = c.saves + 1, saved_at = now()
