-- The latest quota reading: space the lane's requests at least %(spacing)s s apart for %(seconds)s s.
INSERT INTO front.rate_budget AS b (budget_key, lane, quota_spacing, quota_until)
VALUES (%(key)s, %(lane)s, %(spacing)s, clock_timestamp() + make_interval(secs => %(seconds)s))
ON CONFLICT (budget_key, lane) DO UPDATE SET quota_spacing = excluded.quota_spacing,
                                            quota_until = excluded.quota_until
