-- Open the alert unless it is open already; returns the row only when this call opened it (then send it).
INSERT INTO front.alert_state AS a (alert_key, alert, since, figure)
VALUES (%(key)s, %(alert)s, %(since)s, %(figure)s)
ON CONFLICT (alert_key) DO UPDATE
SET alert = excluded.alert, since = excluded.since, figure = excluded.figure, opened_at = now(),
    last_seen_at = now(), notified_at = NULL, cleared_at = NULL
WHERE a.cleared_at IS NOT NULL
RETURNING alert_key
