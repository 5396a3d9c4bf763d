-- Seconds until the latest hold on the given lanes ends (null or <= 0: none).
SELECT extract(epoch FROM max(hold_until) - clock_timestamp())::double precision
FROM front.rate_budget
WHERE budget_key = %(key)s AND lane = ANY (%(lanes)s)
