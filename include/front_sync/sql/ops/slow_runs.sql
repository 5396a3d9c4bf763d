-- The latest run of each resource and sync type (still running: its time so far), and the median duration of
-- the successful runs of the same resource and type before it (at most %(baseline)s of them).
WITH latest AS (
    SELECT DISTINCT ON (resource, sync_type) id, resource, sync_type, status, started_at,
           coalesce(duration_seconds, extract(epoch FROM %(now)s::timestamptz - started_at)) AS seconds
    FROM front.sync_logs
    WHERE sync_type NOT IN ('retention', 'replay') AND started_at <= %(now)s
    ORDER BY resource, sync_type, started_at DESC, id DESC
)
SELECT l.resource, l.sync_type, l.status, l.started_at, l.seconds::float8 AS seconds,
       b.median::float8 AS median, b.runs
FROM latest AS l
CROSS JOIN LATERAL (
    SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY p.duration_seconds) AS median, count(*) AS runs
    FROM (SELECT duration_seconds FROM front.sync_logs AS s
          WHERE s.resource = l.resource AND s.sync_type = l.sync_type AND s.status = 'success'
            AND s.id <> l.id AND s.started_at <= l.started_at AND s.duration_seconds IS NOT NULL
          ORDER BY s.started_at DESC, s.id DESC
          LIMIT %(baseline)s) AS p
) AS b
ORDER BY l.resource, l.sync_type
