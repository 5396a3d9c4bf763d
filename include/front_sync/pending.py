"""The sync_pending work queue: conversations whose messages or comments must be fetched (resumable by design)."""

from __future__ import annotations

from collections.abc import Iterable

from front_sync.sql_files import load_sql


def enqueue(cur, resource: str, conversation_ids: Iterable[str], run_id: str) -> int:
    """Ask for a fetch, inside the caller's transaction (so the request commits with the rows that caused it)."""
    ids = sorted(set(conversation_ids))
    if ids:
        cur.execute(load_sql("pending/enqueue"), {"resource": resource, "ids": ids, "run_id": run_id})
    return len(ids)


def take(conn, resource: str, limit: int) -> list[str]:
    """Up to `limit` queued conversation ids, oldest first; their attempt counter goes up (committed)."""
    with conn.cursor() as cur:
        cur.execute(load_sql("pending/take"), {"resource": resource, "limit": limit})
        ids = [row[0] for row in cur.fetchall()]
    conn.commit()
    return ids


def done(cur, resource: str, conversation_ids: Iterable[str]) -> None:
    """Remove fetched conversations from the queue, inside the transaction that loaded their rows."""
    ids = list(conversation_ids)
    if ids:
        cur.execute(load_sql("pending/done"), {"resource": resource, "ids": ids})


def count(conn, resource: str) -> int:
    """How many conversations still wait for a fetch."""
    with conn.cursor() as cur:
        cur.execute(load_sql("pending/count"), {"resource": resource})
        n = cur.fetchone()[0]
    conn.commit()
    return n
