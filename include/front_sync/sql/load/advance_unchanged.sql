-- An unchanged record seen in a newer view moves the row's view time on (content identical, nothing else is
-- written): an older view that arrives later is then stale, as it must be.
UPDATE {table} AS t SET view_at = k.view_at
FROM {keys} AS k
WHERE k._outcome = 'unchanged' AND t.id = k.id AND k.view_at > COALESCE(t.view_at, -1)
