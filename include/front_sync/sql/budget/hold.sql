-- Nobody in the lane sends for %(seconds)s from now; a row comes back only when this moved the hold later.
INSERT INTO front.rate_budget AS b (budget_key, lane, hold_until)
VALUES (%(key)s, %(lane)s, clock_timestamp() + make_interval(secs => %(seconds)s))
ON CONFLICT (budget_key, lane) DO UPDATE SET hold_until = excluded.hold_until
WHERE b.hold_until IS NULL OR b.hold_until < excluded.hold_until
RETURNING b.hold_until
