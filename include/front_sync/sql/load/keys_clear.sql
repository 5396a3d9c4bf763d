-- Empty the keys table before a batch is written (it already is, unless an earlier part of a bisected batch
-- was written in this transaction; DELETE, unlike TRUNCATE, costs nothing on an empty table).
DELETE FROM {keys}
