-- Write created and updated rows; the WHERE guard keeps a concurrent newer write from being overwritten.
INSERT INTO {table} AS t ({columns})
SELECT {columns} FROM {stage} AS s WHERE s._outcome IN ('created', 'updated')
ON CONFLICT (id) DO UPDATE
SET {assignments}, last_synced_at = now()
WHERE {not_older}
