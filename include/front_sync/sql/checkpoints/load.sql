SELECT cursor FROM front.sync_checkpoints
WHERE dag_id = %(dag_id)s AND resource = %(resource)s AND run_key = %(run_key)s
