UPDATE front.alert_state SET notified_at = now() WHERE alert_key = ANY(%(keys)s) AND cleared_at IS NULL
