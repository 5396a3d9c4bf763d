-- An unchanged record seen in a newer view moves the row's view and observation times on (content identical, nothing else is
-- written): an older view that arrives later is then stale, as it must be.
UPDATE {table} AS t SET view_at = k.view_at, observed_at = k.observed_at
FROM {keys} AS k
WHERE k._outcome = 'unchanged' AND t.id = k.id
  AND (COALESCE(k.view_at, -1), COALESCE(k.observed_at, -1)) > (COALESCE(t.view_at, -1), COALESCE(t.observed_at, -1))
