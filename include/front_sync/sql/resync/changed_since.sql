-- Re-sync from a point in time: the stored conversations updated since it (their sub-resources are fetched again).
SELECT id FROM front.conversations WHERE updated_at >= %(since)s AND deleted_at IS NULL ORDER BY id
