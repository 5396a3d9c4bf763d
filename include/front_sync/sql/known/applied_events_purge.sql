-- Forget applied events no run will read again (older than the oldest read window, with a margin).
DELETE FROM front.applied_events WHERE emitted_at < %(before)s
