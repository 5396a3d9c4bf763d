-- Children of created or updated parents are replaced wholesale: a removed handle or recipient disappears.
DELETE FROM {table} AS c USING {parent_stage} AS s
WHERE c.{parent_column} = s.id AND s._outcome IN ('created', 'updated')
