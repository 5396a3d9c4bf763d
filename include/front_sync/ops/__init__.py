"""Operations: the audit log (sync_logs, watermark changes) and notifications.

May import front_sync.warehouse (SQL files), front_sync.resources and front_sync.config.
"""
