-- Remember merges (merged-away id -> survivor); a later merge of the same id names its latest survivor.
INSERT INTO front.conversation_merges AS m (merged_id, survivor_id, run_id)
SELECT unnest(%(merged)s::text[]), unnest(%(survivors)s::text[]), %(run_id)s
ON CONFLICT (merged_id) DO UPDATE SET survivor_id = excluded.survivor_id, merged_at = now(), run_id = excluded.run_id
