-- A replayed record failed again: the loader wrote a new dead letter for it in this run; its error moves to
-- the original row (which stays unreplayed) and the copy goes, so one record keeps one dead letter.
WITH again AS (
    DELETE FROM front.dead_letters
    WHERE id = (SELECT max(id) FROM front.dead_letters
                WHERE sync_run_id = %(run_id)s AND id > %(id)s AND replayed_at IS NULL)
    RETURNING error
)
UPDATE front.dead_letters AS d SET error = again.error FROM again WHERE d.id = %(id)s
RETURNING d.error
