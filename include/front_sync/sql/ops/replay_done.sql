-- A dead letter loaded (or re-queued) again: marked, never deleted.
UPDATE front.dead_letters SET replayed_at = now() WHERE id = %(id)s AND replayed_at IS NULL
