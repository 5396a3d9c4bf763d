"""The OAuth token pair in the warehouse (front.oauth_tokens, migration 040), shared by every worker.

Implements ``hooks.oauth.TokenStore``. Rows hold ciphertext only (the hook encrypts with a key derived from the
client secret, which never reaches the warehouse). A refresh runs in one transaction on the store's own
connection: ``SELECT ... FOR UPDATE`` of the connection's row, the call to Front, the new pair and the retired
refresh token's fingerprint, then commit; concurrent workers wait on the lock and read the new pair.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import psycopg

from front_sync.warehouse.sql_files import load_sql

# A row: (access ciphertext, refresh ciphertext, seconds left, lifetime seconds, generation, status, message).
Row = tuple[bytes, bytes, float, float, int, str, str | None]


class PostgresTokenStore:
    """Token pairs through the warehouse; thread-safe (one connection, one transaction at a time).

    ``decide`` signals invalid_grant by raising an exception whose ``oauth_reconnect`` attribute is true
    (``hooks.oauth.FrontOAuthReconnect``): the row is marked reconnect_needed, then the exception goes on.

    Args:
        connect: opens a new psycopg 3 connection to the warehouse; the store closes it in ``close()``.
    """

    def __init__(self, connect: Callable[[], psycopg.Connection]) -> None:
        self._connect = connect
        self._lock = threading.Lock()
        self._conn: psycopg.Connection | None = None

    def read(self, key: str) -> Row | None:
        """The connection's row (None before the first connect)."""
        with self._lock, self._connection().transaction(), self._connection().cursor() as cur:
            cur.execute(load_sql("oauth/read"), {"conn_id": key})
            return _stored(cur.fetchone())

    def renew(self, key: str, decide: Callable[[Row], Any]) -> Row | None:
        """See ``hooks.oauth.TokenStore.renew``: lock, decide, write the new pair and retire the old, commit."""
        with self._lock:
            conn = self._connection()
            try:
                with conn.transaction(), conn.cursor() as cur:
                    cur.execute(load_sql("oauth/lock"), {"conn_id": key})
                    row = _stored(cur.fetchone())
                    if row is None:
                        return None
                    renewal = decide(row)
                    if renewal is not None:
                        _write(cur, key, row[4], renewal)
                        cur.execute(load_sql("oauth/read"), {"conn_id": key})
                        row = _stored(cur.fetchone())
                    return row
            except Exception as exc:
                if not getattr(exc, "oauth_reconnect", False):
                    raise
                with conn.transaction(), conn.cursor() as cur:
                    cur.execute(load_sql("oauth/reconnect_needed"), {"conn_id": key, "message": str(exc)[:500]})
                raise

    def save(
        self, key: str, client_id: str, access: bytes, refresh: bytes, lifetime: float, connected_by: str | None
    ) -> None:
        """See ``hooks.oauth.TokenStore.save``."""
        with self._lock, self._connection().transaction(), self._connection().cursor() as cur:
            cur.execute(
                load_sql("oauth/save"),
                {
                    "conn_id": key,
                    "client_id": client_id,
                    "access": access,
                    "refresh": refresh,
                    "lifetime": float(lifetime),
                    "connected_by": connected_by,
                },
            )

    def status(self) -> list[dict[str, Any]]:
        """Each OAuth connection's state for the UI and the monitor: never the tokens."""
        with self._lock, self._connection().transaction(), self._connection().cursor() as cur:
            cur.execute("SELECT to_regclass('front.oauth_tokens') IS NOT NULL")
            exists = cur.fetchone()
            if exists is None or not exists[0]:
                return []
            cur.execute(load_sql("oauth/status"))
            names = [d.name for d in cur.description or ()]
            return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]

    def close(self) -> None:
        with self._lock:
            conn, self._conn = self._conn, None
        if conn is not None:
            conn.close()

    def _connection(self) -> psycopg.Connection:
        if self._conn is None or self._conn.closed or self._conn.broken:
            conn = self._connect()
            conn.autocommit = True  # each call is its own explicit transaction (conn.transaction())
            self._conn = conn
        return self._conn

    def __enter__(self) -> PostgresTokenStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def _write(cur: Any, key: str, generation: int, renewal: Any) -> None:
    """The new pair and the retired refresh token, in the caller's transaction."""
    cur.execute(
        load_sql("oauth/renew"),
        {
            "conn_id": key,
            "generation": generation,
            "access": renewal.access,
            "refresh": renewal.refresh,
            "lifetime": float(renewal.lifetime),
        },
    )
    if cur.rowcount != 1:
        raise RuntimeError(f"OAuth tokens of {key!r} changed under the row lock (generation {generation})")
    cur.execute(
        load_sql("oauth/retire"),
        {"conn_id": key, "generation": generation, "fingerprint": renewal.retired_fingerprint, "reason": "refreshed"},
    )


def _stored(row: tuple | None) -> Row | None:
    """A database row as plain Python values (bytea arrives as memoryview)."""
    if row is None:
        return None
    access, refresh, left, lifetime, generation, status, message = row
    return bytes(access), bytes(refresh), float(left), float(lifetime), int(generation), status, message
