-- Webhooks gone quiet while /events still shows changes: the newest stored webhook (by id: the last one received)
-- and the successful hourly/nightly conversations syncs after it whose watermark (the newest emitted_at they read
-- from /events) passed its arrival, i.e. Front emitted changes after the last webhook arrived.
WITH newest AS (
    SELECT received_at FROM front.webhook_events WHERE received_at <= %(now)s ORDER BY id DESC LIMIT 1
)
SELECT newest.received_at, count(l.id) AS runs, coalesce(sum(l.fetched), 0) AS fetched,
       max(l.completed_at) AS last_run_at
FROM newest
LEFT JOIN front.sync_logs AS l
       ON l.resource = 'conversations' AND l.status = 'success' AND l.sync_type IN ('incremental', 'full')
      AND l.started_at > newest.received_at AND l.completed_at <= %(now)s AND l.fetched > 0
      AND l.watermark_after > extract(epoch FROM newest.received_at)
GROUP BY newest.received_at
