-- Nested rows of rows just written are replaced wholesale: a removed handle or recipient disappears. A partial
-- payload that left the nested list out keeps the stored nested rows (absent is not null).
DELETE FROM {table} AS c USING {keys} AS k
WHERE c.{parent_column} = k.id AND k._outcome = ANY(%(outcomes)s)
  AND NOT (%(nested)s = ANY(COALESCE(k._absent, '{{}}')))
