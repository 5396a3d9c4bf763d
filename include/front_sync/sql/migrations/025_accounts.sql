-- Accounts (GET /accounts): the companies Front groups contacts under.
CREATE TABLE IF NOT EXISTS front.accounts (
    id             text PRIMARY KEY,
    name           text,
    description    text,
    logo_url       text,
    domains        jsonb,
    external_id    text,
    custom_fields  jsonb,
    created_at     numeric(15,3),
    created_at_ts  timestamptz GENERATED ALWAYS AS (to_timestamp(created_at::double precision)) STORED,
    updated_at     numeric(15,3),
    updated_at_ts  timestamptz GENERATED ALWAYS AS (to_timestamp(updated_at::double precision)) STORED
);
SELECT front.make_entity_table('accounts');
COMMENT ON TABLE front.accounts IS 'Front accounts (GET /accounts), listed in full; deletions reconciled.';
COMMENT ON COLUMN front.accounts.id IS 'Front account id (acc_...).';
COMMENT ON COLUMN front.accounts.name IS 'Account name.';
COMMENT ON COLUMN front.accounts.description IS 'Account description.';
COMMENT ON COLUMN front.accounts.logo_url IS 'URL of the account''s logo.';
COMMENT ON COLUMN front.accounts.domains IS 'The account''s domains (JSON list).';
COMMENT ON COLUMN front.accounts.external_id IS 'The account''s id in another system.';
COMMENT ON COLUMN front.accounts.custom_fields IS 'Custom field values keyed by field name (scope account).';
COMMENT ON COLUMN front.accounts.created_at IS 'Front created_at, epoch seconds with 3 decimals (exact).';
COMMENT ON COLUMN front.accounts.updated_at IS 'Front updated_at, epoch seconds with 3 decimals (exact); an older version is skipped as stale.';
COMMENT ON COLUMN front.accounts.created_at_ts IS 'created_at as a timestamp, for people.';
COMMENT ON COLUMN front.accounts.updated_at_ts IS 'updated_at as a timestamp, for people.';
