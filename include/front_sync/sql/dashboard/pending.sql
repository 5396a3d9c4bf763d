-- Depth of the messages/comments queue by resource and priority (0 on demand, 1 hourly, 2 backfill, 3 verification).
SELECT resource, priority,
       count(*) AS queued,
       count(*) FILTER (WHERE claimed_by IS NOT NULL AND claimed_until > now()) AS claimed,
       count(*) FILTER (WHERE last_error IS NOT NULL) AS retrying,
       max(attempts) AS max_attempts,
       min(enqueued_at) AS oldest_enqueued_at
FROM front.sync_pending
GROUP BY resource, priority
ORDER BY resource, priority
