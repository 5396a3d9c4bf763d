-- OAuth connections Front refused (invalid_grant): each stays an open alert until an admin connects Front again.
SELECT conn_id, status_at, status_message FROM front.oauth_tokens WHERE status = 'reconnect_needed' ORDER BY conn_id
