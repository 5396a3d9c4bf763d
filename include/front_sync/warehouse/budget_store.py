"""The API budget's lanes in PostgreSQL (table front.rate_budget, migration 031): one budget per Front company
for every task, thread and worker process that reaches the warehouse.

Implements ``hooks.budget.BudgetStore``. Every call is one autocommit statement (the reservation one plpgsql
call under the lanes' row locks), on the database clock, on the store's own connection: never inside the
loader's transaction, whose commit or rollback must not carry budget state.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from typing import Any

import psycopg

from front_sync.warehouse.sql_files import load_sql

log = logging.getLogger(__name__)


class PostgresBudgetStore:
    """Budget lanes shared through the warehouse; thread-safe (one connection, one statement at a time).

    The statements take about a millisecond against Front's pace of a request or more per 300 ms, so a task's
    threads share one connection behind a lock. A connection lost mid-run is opened again once per call.

    Args:
        connect: opens a new psycopg 3 connection to the warehouse (e.g. ``warehouse_connection``); the
            store switches it to autocommit and closes it in ``close()``.
    """

    def __init__(self, connect: Callable[[], psycopg.Connection]) -> None:
        self._connect = connect
        self._lock = threading.Lock()
        self._conn: psycopg.Connection | None = None

    def reserve(self, key: str, lanes: Sequence[tuple[str, float]], delay: float) -> tuple[float, bool]:
        """See ``BudgetStore.reserve``: one call to front.rate_budget_reserve."""
        names = [lane for lane, _ in lanes]
        spacings = [float(spacing) for _, spacing in lanes]
        row = self._one("budget/reserve", {"key": key, "lanes": names, "spacings": spacings, "delay": float(delay)})
        if row is None:  # the function returns one row per call
            raise RuntimeError("front.rate_budget_reserve returned no row: is the warehouse migrated (031)?")
        wait, held = row
        return wait, held

    def hold_left(self, key: str, lanes: Sequence[str]) -> float:
        """See ``BudgetStore.hold_left``."""
        row = self._one("budget/hold_left", {"key": key, "lanes": list(lanes)})
        return row[0] if row and row[0] is not None else 0.0

    def hold(self, key: str, lane: str, seconds: float) -> bool:
        """See ``BudgetStore.hold``."""
        return self._one("budget/hold", {"key": key, "lane": lane, "seconds": float(seconds)}) is not None

    def set_quota(self, key: str, lane: str, spacing: float, seconds: float) -> None:
        """See ``BudgetStore.set_quota``."""
        self._one("budget/set_quota", {"key": key, "lane": lane, "spacing": float(spacing), "seconds": float(seconds)})

    def close(self) -> None:
        """Close the store's connection (a later call opens a new one)."""
        with self._lock:
            conn, self._conn = self._conn, None
        if conn is not None:
            conn.close()

    def _one(self, name: str, params: dict[str, Any]) -> tuple | None:
        """Run one statement of sql/<name>.sql in autocommit; its first row (None when it returns none)."""
        query = load_sql(name)
        with self._lock:
            try:
                return self._execute(query, params)
            except psycopg.OperationalError:
                if self._conn is None or not self._conn.broken:
                    raise
                self._conn.close()
                self._conn = None
                log.warning("Rate budget: the warehouse connection was lost; opening a new one")
                return self._execute(query, params)

    def _execute(self, query: Any, params: dict[str, Any]) -> tuple | None:
        with self._connection().cursor() as cur:
            cur.execute(query, params)
            return cur.fetchone() if cur.description else None

    def _connection(self) -> psycopg.Connection:
        if self._conn is None or self._conn.closed:
            conn = self._connect()
            conn.autocommit = True  # each budget statement is its own transaction: row locks held for ~1 ms
            self._conn = conn
        return self._conn

    def __enter__(self) -> PostgresBudgetStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
