-- The type of every column of a table, for COPY in binary format (which must match the table's types exactly).
SELECT a.attname, a.atttypid::int FROM pg_attribute AS a
WHERE a.attrelid = format('%%I.%%I', %(schema)s::text, %(table)s::text)::regclass
  AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY a.attnum
