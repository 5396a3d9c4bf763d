INSERT INTO front.monitor_cursors (name, last_id) VALUES (%(name)s, %(last_id)s)
ON CONFLICT (name) DO UPDATE SET last_id = greatest(monitor_cursors.last_id, excluded.last_id), checked_at = now()
