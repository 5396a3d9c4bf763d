-- A listing's scope (issue 19 item 2): rows nothing loaded, wrote or soft-deleted since the listing started.
(t.first_synced_at < %(listing_started)s AND t.last_synced_at < %(listing_started)s
 AND (t.deleted_at IS NULL OR t.deleted_at < %(listing_started)s))
