-- Attachment metadata of purged messages: the attachment's id and inline flag stay (how many there were).
UPDATE front.message_attachments
SET filename = NULL, url = NULL, content_type = NULL, size = NULL, cid = NULL
WHERE message_id = ANY(%(ids)s)
  AND (filename IS NOT NULL OR url IS NOT NULL OR content_type IS NOT NULL OR size IS NOT NULL OR cid IS NOT NULL)
