"""A migrated warehouse for the loader tests: one database per session, emptied before each test.

Creating and migrating a database costs about a second; emptying every table costs milliseconds. Tests that
change the schema itself use tests/conftest.py's `warehouse` (a fresh database) instead.
"""

from __future__ import annotations

import psycopg
import pytest

from front_sync.warehouse import migrations
from front_sync.warehouse.connection import warehouse_connection


@pytest.fixture(scope="session")
def shared_warehouse_url(new_database):
    """A database with every migration applied, shared by the tests of this package."""
    url = new_database()
    with psycopg.connect(url) as conn:
        migrations.migrate(conn)
    return url


@pytest.fixture
def migrated_url(shared_warehouse_url, monkeypatch):
    """URL of the shared migrated database, emptied for this test; also the front_warehouse connection."""
    with psycopg.connect(shared_warehouse_url) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT string_agg(format('%I.%I', schemaname, tablename), ', ') FROM pg_tables "
            "WHERE schemaname = 'front' AND tablename <> 'schema_migrations'"
        )
        cur.execute(f"TRUNCATE {cur.fetchone()[0]} RESTART IDENTITY")
    monkeypatch.setenv("AIRFLOW_CONN_FRONT_WAREHOUSE", shared_warehouse_url)
    return shared_warehouse_url


@pytest.fixture
def migrated(migrated_url):
    """The operators' connection (warehouse_connection) to the emptied migrated database; transactions are explicit.

    Marked as the sync's session: what the tests write through it stands for the sync's own writes, not local edits
    (test_local_edits.py makes those on plain connections).
    """
    conn = warehouse_connection()
    yield conn
    conn.rollback()
    conn.close()


@pytest.fixture(scope="module")
def migrated_shared(shared_warehouse_url):
    """A connection for a module of read-only tests (schema checks)."""
    conn = psycopg.connect(shared_warehouse_url)
    yield conn
    conn.close()
