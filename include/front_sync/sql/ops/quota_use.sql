-- Front's rate-limit use seen by the sync tasks that finished in the window (sync_logs.metadata: quota_limit,
-- quota_remaining_min from the x-ratelimit headers): the worst, the resource that saw it, and since when the
-- use has been over the threshold.
WITH seen AS (
    SELECT resource, started_at, (metadata->>'quota_limit')::numeric AS quota_limit,
           (metadata->>'quota_remaining_min')::numeric AS lowest
    FROM front.sync_logs
    WHERE completed_at > %(now)s::timestamptz - make_interval(mins => %(minutes)s) AND completed_at <= %(now)s
      AND jsonb_typeof(metadata->'quota_limit') = 'number'
      AND jsonb_typeof(metadata->'quota_remaining_min') = 'number'
), used AS (
    SELECT resource, started_at, quota_limit, lowest, 100 * (quota_limit - lowest) / quota_limit AS use_percent
    FROM seen WHERE quota_limit > 0
)
SELECT u.resource, u.quota_limit::float8 AS quota_limit, u.lowest::float8 AS lowest,
       u.use_percent::float8 AS use_percent,
       (SELECT min(started_at) FROM used WHERE use_percent > %(threshold)s) AS since
FROM used AS u
ORDER BY u.use_percent DESC, u.started_at
LIMIT 1
