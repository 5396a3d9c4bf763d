-- Which of these claims this consumer still holds (claimed by it, at the try it claimed: a later take, by anyone,
-- raises attempts), locked until the caller's transaction ends so no other consumer can take them meanwhile. A
-- claim whose lease ran out and was taken by another consumer is not held: its fetch must not finish the row,
-- move the sub-resources marker nor soft-delete anything (issue 19 item 5).
SELECT p.conversation_id FROM front.sync_pending AS p
JOIN unnest(%(ids)s::text[], %(attempts)s::int[]) AS c(conversation_id, attempts)
  ON p.conversation_id = c.conversation_id AND p.attempts = c.attempts
WHERE p.resource = %(resource)s AND p.claimed_by = %(worker)s
ORDER BY p.conversation_id
FOR UPDATE OF p
