-- OAuth for Front apps (hooks/oauth.py, warehouse/oauth_store.py): the token pair of each OAuth connection, shared
-- by every worker. Encrypted (Fernet) with a key derived from the app's client secret, which lives only in the
-- Airflow connection: a reader of the warehouse cannot use what is stored here. A refresh locks the row
-- (SELECT ... FOR UPDATE), so one worker refreshes and the others read its result.

CREATE TABLE IF NOT EXISTS front.oauth_tokens (
    conn_id         text        PRIMARY KEY,
    client_id       text        NOT NULL,
    access_token    bytea       NOT NULL,
    refresh_token   bytea       NOT NULL,
    expires_at      timestamptz NOT NULL,
    lifetime_seconds double precision NOT NULL,
    generation      integer     NOT NULL DEFAULT 1,
    status          text        NOT NULL DEFAULT 'connected' CHECK (status IN ('connected', 'reconnect_needed')),
    status_message  text,
    status_at       timestamptz,
    connected_at    timestamptz NOT NULL DEFAULT clock_timestamp(),
    connected_by    text,
    refreshed_at    timestamptz,
    refresh_count   bigint      NOT NULL DEFAULT 0
);
COMMENT ON TABLE front.oauth_tokens IS 'The OAuth token pair of each front connection with extra auth=oauth, encrypted with a key derived from the client secret. Never copy elsewhere; delete a row to disconnect.';
COMMENT ON COLUMN front.oauth_tokens.generation IS 'Counts connects and refreshes; each refresh retires the previous refresh token (front.oauth_refresh_tokens_used).';
COMMENT ON COLUMN front.oauth_tokens.status IS 'reconnect_needed after invalid_grant (app revoked, refresh token expired or reused): an admin must connect Front again.';

CREATE TABLE IF NOT EXISTS front.oauth_refresh_tokens_used (
    conn_id      text        NOT NULL,
    generation   integer     NOT NULL,
    fingerprint  text        NOT NULL,
    reason       text        NOT NULL CHECK (reason IN ('refreshed')),
    retired_at   timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (conn_id, generation)
);
COMMENT ON TABLE front.oauth_refresh_tokens_used IS 'Refresh tokens retired by a refresh, written in the same transaction as their successor: a keyed fingerprint, never the token.';
