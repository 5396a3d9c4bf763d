-- A check still sees open alerts: note it, and return those never notified (their delivery failed: send again).
-- Only those opened a while ago: one opened just now is being sent by whoever opened it (a concurrent callback).
UPDATE front.alert_state SET last_seen_at = now(), figure = coalesce(%(figures)s::jsonb->>alert_key, figure)
WHERE alert_key = ANY(%(keys)s) AND cleared_at IS NULL
RETURNING alert_key, notified_at IS NULL AND opened_at < now() - interval '2 minutes' AS unsent
