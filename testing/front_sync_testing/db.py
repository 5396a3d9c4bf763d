"""One statement on a connection of its own (psycopg 3, the product's driver): how harnesses and end-to-end tests
read the warehouse and Airflow's metadata DB without holding a connection across the work they watch."""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg.rows import dict_row, tuple_row


def fetch(
    url: str, statement: Any, params: Any = (), *, dicts: bool = False, connect_timeout: int | None = None
) -> list[Any]:
    """The statement's rows (tuples, or dicts with dicts=True; [] when it returns none), committed and closed."""
    options = {"connect_timeout": connect_timeout} if connect_timeout else {}
    with psycopg.connect(url, **options) as conn, conn.cursor(row_factory=dict_row if dicts else tuple_row) as cur:
        cur.execute(statement, params)
        return cur.fetchall() if cur.description else []


def create_database(admin_url: str, name: str) -> str:
    """CREATE DATABASE name on the admin URL's server; returns the new database's URL."""
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(psycopg.sql.SQL("CREATE DATABASE {}").format(psycopg.sql.Identifier(name)))
    return admin_url.rsplit("/", 1)[0] + f"/{name}"
