"""The warehouse: schema migrations, the batch loader and its conflict rules, soft deletes, checkpoints, dead
letters and the pending queue, all in PostgreSQL (SQL in front_sync/sql).

May import front_sync.resources and front_sync.config; never the hooks, sync or ops packages.
"""
