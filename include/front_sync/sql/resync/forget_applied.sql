-- Re-sync from a point in time: forget the events applied since it, so the events sync reads and applies them
-- again instead of skipping them as applied (issue 19 item 8).
DELETE FROM front.applied_events WHERE emitted_at >= %(since)s
