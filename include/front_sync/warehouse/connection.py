"""The warehouse connection: the postgres provider's PostgresHook connection as it comes (psycopg 3 on Airflow 3.3).

The sync's writes are marked as its own (front_sync.writer = on), so the local-edit triggers (migration 022)
stamp local_updated_at only on rows changed by other sessions: the session is marked once when it opens, and
every writing transaction of the loader and of reconcile marks itself again (sql/load/sync_writer.sql).
"""

from __future__ import annotations

import psycopg
from airflow.providers.postgres.hooks.postgres import PostgresHook

from front_sync.config import WAREHOUSE_CONN_ID
from front_sync.warehouse.sql_files import load_sql


def warehouse_connection(conn_id: str = WAREHOUSE_CONN_ID) -> psycopg.Connection:
    """A new psycopg 3 connection to the warehouse, in manual-commit mode, marked as the sync's own session."""
    conn = PostgresHook(postgres_conn_id=conn_id).get_conn()
    if not isinstance(conn, psycopg.Connection):
        conn.close()
        raise RuntimeError(
            f"PostgresHook returned a {type(conn).__module__} connection; the warehouse code needs "
            "psycopg 3 (the provider picks it when psycopg and SQLAlchemy 2 are installed)"
        )
    try:
        conn.autocommit = False
        with conn.cursor() as cur:
            cur.execute(load_sql("load/sync_session"))
        conn.commit()
    except BaseException:
        conn.close()
        raise
    return conn
