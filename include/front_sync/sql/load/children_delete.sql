-- Children of rows just written are replaced wholesale: a removed handle or recipient disappears.
DELETE FROM {table} AS c USING {keys} AS k
WHERE c.{parent_column} = k.id AND k._outcome = ANY(%(outcomes)s)
