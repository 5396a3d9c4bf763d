-- A replayed record is still bad and nothing was written for it: its row stays unreplayed with the new error.
UPDATE front.dead_letters SET error = left(%(error)s, 2000) WHERE id = %(id)s AND replayed_at IS NULL
