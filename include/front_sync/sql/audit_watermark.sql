-- One change of a watermark Variable, with the task try that made it.
INSERT INTO front.watermark_changes (resource, value_before, value_after, reason, run_id, dag_id, task_id, try_number)
VALUES (%(resource)s, %(before)s, %(after)s, %(reason)s, %(run_id)s, %(dag_id)s, %(task_id)s, %(try_number)s)
