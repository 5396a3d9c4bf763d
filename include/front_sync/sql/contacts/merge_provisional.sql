-- Merge provisional contacts into the real contacts just written (created or updated in the keys table) that
-- share an email handle: handles (compared case-folded) and list memberships the real contact lacks move to
-- it, references are repointed, and the placeholder goes with its own handles and memberships. The first
-- statement's row count is the number of merges. The join starts from the (few) provisional contacts.
CREATE TEMP TABLE _provisional_merges ON COMMIT DROP AS
SELECT DISTINCT ON (p.contact_id) p.contact_id AS provisional_id, r.contact_id
FROM front.contacts AS pc
JOIN front.contact_handles AS p ON p.contact_id = pc.id AND p.source = 'email'
JOIN front.contact_handles AS r
  ON r.source = 'email' AND r.handle_normalized = p.handle_normalized AND r.contact_id <> p.contact_id
JOIN {keys} AS k ON k.id = r.contact_id AND k._outcome IN ('created', 'updated')
WHERE pc.is_provisional AND r.contact_id NOT LIKE 'provisional:%'

ORDER BY p.contact_id, r.contact_id;

INSERT INTO front.contact_handles (contact_id, source, handle, handle_normalized)
SELECT m.contact_id, h.source, h.handle, h.handle_normalized
FROM front.contact_handles AS h JOIN _provisional_merges AS m ON h.contact_id = m.provisional_id
WHERE NOT EXISTS (
    SELECT 1 FROM front.contact_handles AS x
    WHERE x.contact_id = m.contact_id AND x.source = h.source AND x.handle_normalized = h.handle_normalized
)
ON CONFLICT DO NOTHING;

INSERT INTO front.contact_list_members (contact_id, contact_list_id)
SELECT m.contact_id, l.contact_list_id
FROM front.contact_list_members AS l JOIN _provisional_merges AS m ON l.contact_id = m.provisional_id
ON CONFLICT DO NOTHING;

UPDATE front.message_recipients AS r SET contact_id = m.contact_id
FROM _provisional_merges AS m WHERE r.contact_id = m.provisional_id;

UPDATE front.conversations AS c SET recipient_contact_id = m.contact_id
FROM _provisional_merges AS m WHERE c.recipient_contact_id = m.provisional_id;

DELETE FROM front.contact_handles AS h USING _provisional_merges AS m WHERE h.contact_id = m.provisional_id;

DELETE FROM front.contact_list_members AS l USING _provisional_merges AS m WHERE l.contact_id = m.provisional_id;

DELETE FROM front.contacts AS c USING _provisional_merges AS m WHERE c.id = m.provisional_id;
