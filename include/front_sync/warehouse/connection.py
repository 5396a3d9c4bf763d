"""The warehouse connection: PostgresHook, pinned to psycopg2 (the loader uses psycopg2's COPY and sql APIs).

Every connection made here is marked as the sync's own session (front_sync.writer = on): the local-edit
triggers (migration 022) stamp local_updated_at on rows changed by any other session, never by the sync.
"""

from __future__ import annotations

from typing import Any

import psycopg2
from airflow.providers.postgres.hooks.postgres import PostgresHook

from front_sync.config import WAREHOUSE_CONN_ID

# A startup option, not a SET: no rollback, RESET ALL or connection reset can take it away mid-run.
SYNC_WRITER_OPTION = "-c front_sync.writer=on"


class WarehouseHook(PostgresHook):
    """PostgresHook whose connections are always psycopg2, whatever driver the provider would pick.

    With SQLAlchemy 2 and psycopg 3 installed, PostgresHook switches to psycopg 3; everything else about the
    connection (extras, IAM tokens, options) still comes from the provider; the session is marked as the sync's.
    """

    default_conn_name = WAREHOUSE_CONN_ID

    def _create_connection(self, conn_args: dict[str, Any]):
        options = f"{conn_args.get('options') or ''} {SYNC_WRITER_OPTION}".strip()
        return psycopg2.connect(**{**conn_args, "options": options})


def warehouse_connection(conn_id: str = WAREHOUSE_CONN_ID):
    """A new psycopg2 connection to the warehouse, in manual-commit mode, marked as the sync's own session."""
    conn = WarehouseHook(postgres_conn_id=conn_id).get_conn()
    conn.autocommit = False
    return conn
