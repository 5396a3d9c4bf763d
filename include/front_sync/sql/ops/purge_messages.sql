-- The retention purge of one chunk of messages older than the cutoff: body, text, blurb and the raw JSON's
-- body fields go, attachments in raw keep only their id. row_hash stays: an unchanged copy from Front is then
-- classified unchanged and never written back (classify.sql, rule 3). Run as the sync's session
-- (front_sync.writer = on), so the local-edit triggers do not stamp local_updated_at.
WITH expired AS (
    SELECT id FROM front.messages
    WHERE created_at < %(cutoff)s
      AND (body IS NOT NULL OR text IS NOT NULL OR blurb IS NOT NULL OR raw ?| ARRAY['body', 'text', 'blurb'])
    ORDER BY id
    LIMIT %(limit)s
    FOR UPDATE SKIP LOCKED
)
UPDATE front.messages AS m
SET body = NULL, text = NULL, blurb = NULL,
    raw = CASE WHEN jsonb_typeof(m.raw->'attachments') = 'array'
               THEN jsonb_set(m.raw - 'body' - 'text' - 'blurb', ARRAY['attachments'], coalesce(
                   (SELECT jsonb_agg(jsonb_build_object('id', a->'id'))
                    FROM jsonb_array_elements(m.raw->'attachments') AS a), '[]'::jsonb))
               ELSE m.raw - 'body' - 'text' - 'blurb' END
FROM expired AS e
WHERE m.id = e.id
RETURNING m.id
