-- A listing's scope, for resources Front dates: rows whose stored Front time is older than the listing's start.
(t.updated_at IS NULL OR t.updated_at < extract(epoch FROM %(listing_started)s::timestamptz))
