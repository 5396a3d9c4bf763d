-- Seconds since the resource's last successful complete listing (null: none yet), by the warehouse's clock.
SELECT extract(epoch FROM now() - max(completed_at))
FROM front.sync_logs
WHERE resource = %(resource)s AND status = 'success' AND (metadata ->> 'complete_listing')::boolean
