-- The ids a completed listing returned, for the anti-join.
CREATE TEMP TABLE {ids} (id text NOT NULL) ON COMMIT DROP
