-- One request's slot in its lanes (migration 031's function does it under the rows' locks, on the DB clock).
SELECT wait_seconds, held FROM front.rate_budget_reserve(%(key)s, %(lanes)s, %(spacings)s, %(delay)s)
