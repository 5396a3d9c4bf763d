-- A refreshed pair replaces the old one (same transaction as retire.sql: the rotated refresh token is never lost).
UPDATE front.oauth_tokens
SET access_token = %(access)s, refresh_token = %(refresh)s, lifetime_seconds = %(lifetime)s,
    expires_at = clock_timestamp() + make_interval(secs => %(lifetime)s), generation = generation + 1,
    refreshed_at = clock_timestamp(), refresh_count = refresh_count + 1, status = 'connected', status_message = NULL
WHERE conn_id = %(conn_id)s AND generation = %(generation)s
