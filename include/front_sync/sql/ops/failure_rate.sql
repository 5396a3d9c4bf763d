-- Finished sync task tries in the window: how many failed, and when the first of those failures started.
SELECT count(*) FILTER (WHERE status = 'failed') AS failed,
       count(*) AS tries,
       min(started_at) FILTER (WHERE status = 'failed') AS first_failure
FROM front.sync_logs
WHERE status <> 'running' AND sync_type NOT IN ('retention', 'replay')
  AND started_at > %(now)s::timestamptz - make_interval(hours => %(hours)s) AND started_at <= %(now)s
