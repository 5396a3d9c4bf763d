-- Refused webhook requests of the hour before %(now)s by reason (front.webhook_rejections: counts per minute only).
SELECT reason, sum(count) AS requests, min(minute) AS first_minute, max(minute) AS last_minute
FROM front.webhook_rejections
WHERE minute > %(now)s - interval '1 hour' AND minute <= %(now)s
GROUP BY reason
ORDER BY requests DESC, reason
