-- Real time (issue 21) at %(now)s: the newest webhook stored, webhook-to-row lag over the last hour (applied_at -
-- sent_at of the webhooks whose change is in the warehouse: applied, or stale because a newer version already
-- was), what is stored but not applied yet, and duplicate deliveries of the last hour. Counts and times only.
WITH newest AS (
    SELECT received_at, event_type FROM front.webhook_events ORDER BY id DESC LIMIT 1
), lag AS (
    SELECT count(*) AS applied_last_hour,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM applied_at - sent_at)) AS lag_p50_seconds,
           percentile_cont(0.95) WITHIN GROUP (ORDER BY extract(epoch FROM applied_at - sent_at)) AS lag_p95_seconds
    FROM front.webhook_events
    WHERE applied_at > %(now)s - interval '1 hour' AND applied_at <= %(now)s AND outcome IN ('applied', 'stale')
), waiting AS (
    SELECT count(*) AS pending, min(received_at) AS oldest_pending_at
    FROM front.webhook_events WHERE applied_at IS NULL
), recent AS (
    SELECT count(*) AS received_last_hour,
           count(*) FILTER (WHERE deliveries > 1) AS duplicated_last_hour,
           coalesce(sum(deliveries - 1), 0) AS extra_deliveries_last_hour
    FROM front.webhook_events WHERE received_at > %(now)s - interval '1 hour' AND received_at <= %(now)s
)
SELECT newest.received_at AS last_received_at, newest.event_type AS last_event_type,
       round(extract(epoch FROM %(now)s - newest.received_at)::numeric, 0) AS last_received_age_seconds,
       lag.applied_last_hour, round(lag.lag_p50_seconds::numeric, 1) AS lag_p50_seconds,
       round(lag.lag_p95_seconds::numeric, 1) AS lag_p95_seconds,
       waiting.pending, waiting.oldest_pending_at,
       round(greatest(extract(epoch FROM %(now)s - waiting.oldest_pending_at), 0)::numeric, 0) AS oldest_pending_seconds,
       recent.received_last_hour, recent.duplicated_last_hour, recent.extra_deliveries_last_hour
FROM lag CROSS JOIN waiting CROSS JOIN recent LEFT JOIN newest ON true
