-- The same row, locked until the transaction ends: one refresh at a time per connection, across every worker.
SELECT access_token, refresh_token, extract(epoch FROM expires_at - clock_timestamp())::double precision,
       lifetime_seconds, generation, status, status_message
FROM front.oauth_tokens WHERE conn_id = %(conn_id)s FOR UPDATE
