-- The rolling verification (issue 19) per sub-resource: its last nightly run (conversations due, rows repaired,
-- API calls) and the oldest verification on record (what the verify_days bound is measured against).
SELECT r.resource, r.started_at AS last_run_at,
       (r.metadata->'verify'->>'due')::int AS due,
       (r.metadata->'verify'->>'verified')::int AS verified,
       (r.metadata->'verify'->>'repaired')::int AS repaired,
       (r.metadata->'verify'->>'verify_days')::int AS verify_days,
       r.api_calls,
       (SELECT min(v.verified_at) FROM front.children_verified AS v WHERE v.resource = r.resource) AS oldest_verified_at
FROM (SELECT DISTINCT ON (resource) resource, started_at, metadata, api_calls
      FROM front.sync_logs WHERE task_id LIKE 'verify\_%%' AND metadata ? 'verify'
      ORDER BY resource, id DESC) AS r
ORDER BY r.resource
