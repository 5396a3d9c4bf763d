"""The warehouse connection: PostgresHook, pinned to psycopg2 (the loader uses psycopg2's COPY and sql APIs)."""

from __future__ import annotations

from typing import Any

import psycopg2
from airflow.providers.postgres.hooks.postgres import PostgresHook

from front_sync.config import WAREHOUSE_CONN_ID


class WarehouseHook(PostgresHook):
    """PostgresHook whose connections are always psycopg2, whatever driver the provider would pick.

    With SQLAlchemy 2 and psycopg 3 installed, PostgresHook switches to psycopg 3; everything else about the
    connection (extras, IAM tokens, options) still comes from the provider.
    """

    default_conn_name = WAREHOUSE_CONN_ID

    def _create_connection(self, conn_args: dict[str, Any]):
        return psycopg2.connect(**conn_args)


def warehouse_connection(conn_id: str = WAREHOUSE_CONN_ID):
    """A new psycopg2 connection to the warehouse, in manual-commit mode."""
    conn = WarehouseHook(postgres_conn_id=conn_id).get_conn()
    conn.autocommit = False
    return conn
