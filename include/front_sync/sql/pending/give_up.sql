-- A conversation that failed too often leaves the queue (its dead letter is written in the same transaction),
-- unless it was asked for again meanwhile.
DELETE FROM front.sync_pending
WHERE resource = %(resource)s AND conversation_id = %(conversation_id)s AND generation = %(generation)s
