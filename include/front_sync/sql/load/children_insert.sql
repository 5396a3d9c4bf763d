-- Insert the new children of created or updated parents; a child listed twice in one record is kept once.
INSERT INTO {table} ({columns})
SELECT {stage_columns} FROM {stage} AS c JOIN {parent_stage} AS s ON s.id = c.{parent_column}
WHERE s._outcome IN ('created', 'updated')
ON CONFLICT DO NOTHING
