-- A newly connected pair (Connect Front or `front-sync oauth connect`): a new generation, status connected.
INSERT INTO front.oauth_tokens AS t (conn_id, client_id, access_token, refresh_token, expires_at, lifetime_seconds,
                                    connected_by)
VALUES (%(conn_id)s, %(client_id)s, %(access)s, %(refresh)s, clock_timestamp() + make_interval(secs => %(lifetime)s),
        %(lifetime)s, %(connected_by)s)
ON CONFLICT (conn_id) DO UPDATE
SET client_id = excluded.client_id, access_token = excluded.access_token, refresh_token = excluded.refresh_token,
    expires_at = excluded.expires_at, lifetime_seconds = excluded.lifetime_seconds, generation = t.generation + 1,
    status = 'connected', status_message = NULL, connected_at = clock_timestamp(), connected_by = excluded.connected_by
RETURNING generation
