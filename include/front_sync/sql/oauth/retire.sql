-- Record the refresh token of a generation as used (a keyed fingerprint): it must never be sent again.
INSERT INTO front.oauth_refresh_tokens_used (conn_id, generation, fingerprint, reason)
VALUES (%(conn_id)s, %(generation)s, %(fingerprint)s, %(reason)s)
