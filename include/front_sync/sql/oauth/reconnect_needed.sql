-- Front refused the refresh token (invalid_grant): every worker fails fast until an admin connects Front again.
UPDATE front.oauth_tokens SET status = 'reconnect_needed', status_message = %(message)s,
    status_at = coalesce(CASE WHEN status = 'reconnect_needed' THEN status_at END, clock_timestamp())
WHERE conn_id = %(conn_id)s
