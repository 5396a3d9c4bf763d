"""Operations: the audit log (sync_logs, watermark changes), failure notifications, the monitor's checks and
alerts (monitor, alerts, delivery), retention of message bodies, dead-letter replay, and their operators.

May import front_sync.warehouse (SQL files, the loader), front_sync.resources and front_sync.config.
"""
