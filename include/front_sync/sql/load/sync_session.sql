-- Mark the whole session as the sync's own (run once, right after connecting, and committed): the local-edit
-- triggers (migration 022) leave local_updated_at alone for its writes. Every writing transaction of the loader
-- and of reconcile also marks itself (sync_writer.sql), so a RESET ALL on the session cannot unmark them.
SET front_sync.writer = 'on'
