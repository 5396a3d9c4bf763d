-- The real-time trigger's poll: the newest stored webhook not yet applied (NULL when none is pending).
SELECT max(id) FROM front.webhook_events WHERE applied_at IS NULL
