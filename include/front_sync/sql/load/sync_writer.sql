-- This transaction's writes are the sync's own, whatever session runs them: the local-edit triggers
-- (migration 022) leave local_updated_at alone. Undone at commit or rollback.
SET LOCAL front_sync.writer = 'on'
