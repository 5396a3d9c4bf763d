-- Temporary tables get no statistics by themselves; without them the joins with the target may scan it whole.
-- Only the key matters for those joins (analysing raw would read every document).
ANALYZE {stage} (id)
