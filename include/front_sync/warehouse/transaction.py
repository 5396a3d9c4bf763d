"""One transaction on a manual-commit connection, as every writer of the warehouse runs one."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import psycopg

from front_sync.warehouse.sql_files import load_sql


@contextmanager
def transaction(
    conn: psycopg.Connection, *, sync_writer: bool = False, commit: bool = True
) -> Iterator[psycopg.Cursor]:
    """A cursor whose work commits when the block ends; any exception (a kill included) rolls it back and is
    raised again. `sync_writer`: the transaction's writes are the sync's own (load/sync_writer.sql), so the
    local-edit triggers leave them alone. `commit=False` leaves it open for the caller to commit with more."""
    try:
        with conn.cursor() as cur:
            if sync_writer:
                cur.execute(load_sql("load/sync_writer"))
            yield cur
        if commit:
            conn.commit()
    except BaseException:
        conn.rollback()
        raise
