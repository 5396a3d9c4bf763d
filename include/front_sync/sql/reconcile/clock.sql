-- The database's clock: a listing's start, compared with first_synced_at (no worker clock skew).
SELECT clock_timestamp()
