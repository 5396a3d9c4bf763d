-- Free the claims earlier tries of this task left behind (a killed or timed-out try never handed them back): Airflow
-- runs one try of a task at a time, so they are dead. Their attempts stay counted: a conversation that kills its
-- worker must still end in dead_letters after the maximum tries.
UPDATE front.sync_pending SET claimed_by = NULL, claimed_until = NULL
WHERE resource = %(resource)s AND claimed_by LIKE %(prefix)s AND claimed_by <> %(worker)s
