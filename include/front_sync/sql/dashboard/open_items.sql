-- What waits for a person, per resource: dead letters not replayed, conflicts not resolved (counts only).
SELECT 'dead_letters' AS kind, resource, count(*) AS n FROM front.dead_letters WHERE replayed_at IS NULL GROUP BY resource
UNION ALL
SELECT 'conflicts', resource, count(*) FROM front.sync_conflicts WHERE resolved_at IS NULL GROUP BY resource
