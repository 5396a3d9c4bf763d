-- When the retention purge last finished successfully.
SELECT max(completed_at) FROM front.sync_logs WHERE sync_type = 'retention' AND status = 'success'
