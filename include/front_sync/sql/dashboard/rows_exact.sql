-- Live (not soft-deleted) rows of one resource's table, narrowed to the rows its endpoint owns.
SELECT count(*) FROM {table} WHERE deleted_at IS NULL AND {partition}
