-- Tonight's rolling verification of one sub-resource: live conversations in tonight's slice (a stable hash of the
-- id, modulo verify_days, equals the night's number modulo verify_days: each night about 1/verify_days of all),
-- plus any whose last verification is older than verify_days (a night that failed or was skipped is caught up).
SELECT c.id
FROM front.conversations AS c
LEFT JOIN front.children_verified AS v ON v.resource = %(resource)s AND v.conversation_id = c.id
WHERE c.deleted_at IS NULL
  AND (mod(('x' || lpad(substr(md5(c.id), 1, 15), 16, '0'))::bit(64)::bigint, %(days)s) = %(slice)s
       OR v.verified_at < now() - make_interval(days => %(days)s))
ORDER BY c.id
