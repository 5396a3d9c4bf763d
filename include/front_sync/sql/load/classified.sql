-- Outcomes of the records that matched a stored row (all others are new).
SELECT id, _outcome FROM {keys} WHERE _outcome <> 'created'
