-- The monitor's open alerts (front.alert_state): shown on the page whether or not Slack or e-mail delivered them.
SELECT alert_key, alert, since, opened_at, last_seen_at, notified_at, figure
FROM front.alert_state
WHERE cleared_at IS NULL
ORDER BY opened_at DESC
