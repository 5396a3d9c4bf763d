SELECT a.attname, a.attcompression::text FROM pg_attribute AS a
WHERE a.attrelid = format('%%I.%%I', %(schema)s::text, %(table)s::text)::regclass
  AND a.atttypid = 'jsonb'::regtype AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY a.attnum
