-- Close the open alerts of the checked kinds that the check no longer sees; returns them (for the resolved note).
UPDATE front.alert_state SET cleared_at = now()
WHERE cleared_at IS NULL AND alert = ANY(%(alerts)s) AND NOT (alert_key = ANY(%(keys)s))
RETURNING alert_key, alert, since, notified_at IS NOT NULL AS was_sent
