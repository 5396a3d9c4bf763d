-- The last successful retention purge: when it finished, and whether it stopped at its per-run cap.
SELECT completed_at, coalesce((metadata->>'capped')::boolean, false)
FROM front.sync_logs WHERE sync_type = 'retention' AND status = 'success'
ORDER BY completed_at DESC LIMIT 1
