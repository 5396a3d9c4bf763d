UPDATE front.sync_logs
SET status = %(status)s, completed_at = now(), watermark_after = %(watermark_after)s,
    fetched = %(fetched)s, created = %(created)s, updated = %(updated)s, unchanged = %(unchanged)s,
    stale = %(stale)s, conflicts = %(conflicts)s, dead_lettered = %(dead_lettered)s, deleted = %(deleted)s,
    restored = %(restored)s, untyped = %(untyped)s, fetched_not_loaded = %(fetched_not_loaded)s,
    api_calls = %(api_calls)s, retries = %(retries)s, rate_limit_waits = %(rate_limit_waits)s,
    rate_limit_wait_seconds = %(rate_limit_wait_seconds)s, bytes_received = %(bytes_received)s,
    error_message = %(error_message)s, metadata = %(metadata)s::jsonb
WHERE id = %(id)s
