-- Who owns these case-folded email handles: live real contacts first, then provisional ones.
SELECT h.handle_normalized, h.contact_id, c.is_provisional
FROM front.contact_handles AS h
JOIN front.contacts AS c ON c.id = h.contact_id
WHERE h.source = 'email' AND h.handle_normalized = ANY(%(handles)s) AND c.deleted_at IS NULL
ORDER BY c.is_provisional, c.id
