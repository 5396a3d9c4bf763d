-- The planner's row estimate of a table (-1 or 0 before its first ANALYZE); null when the table does not exist.
SELECT c.reltuples::bigint FROM pg_class AS c WHERE c.oid = to_regclass(%(table)s)
