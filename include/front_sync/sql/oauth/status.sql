-- What the dashboard may show of a connection's OAuth state: never the tokens.
SELECT conn_id, client_id, status, status_message, connected_at, connected_by, refreshed_at, refresh_count, generation,
       expires_at
FROM front.oauth_tokens ORDER BY conn_id
