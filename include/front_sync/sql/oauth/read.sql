-- The connection's token pair and the seconds its access token has left, by the database clock.
SELECT access_token, refresh_token, extract(epoch FROM expires_at - clock_timestamp())::double precision,
       lifetime_seconds, generation, status, status_message
FROM front.oauth_tokens WHERE conn_id = %(conn_id)s
