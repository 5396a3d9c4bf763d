"""Claims on the stored webhooks (front.webhook_events, migration 041) for the real-time DAG.

A run claims the oldest unapplied rows with FOR UPDATE SKIP LOCKED and a lease, so two runs never apply the same
webhook; it marks them done (applied_at, outcome) in the transaction that commits the rows they changed, counts a
failed try, and after `max_attempts` tries dead-letters the event (as resource "events": a replay applies it through
the events path). Only the claim's holder may finish or fail a claim.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from psycopg import sql

from front_sync.resources import Resource
from front_sync.warehouse import dead_letters
from front_sync.warehouse.sql_files import load_sql


@dataclass(frozen=True)
class WebhookClaim:
    """One claimed webhook: its row id, Front's event id, the event preview it carried, tries so far (this one too)."""

    id: int
    event_id: str
    payload: Any
    attempts: int


def claim(conn, limit: int, *, worker: str, lease_seconds: float) -> list[WebhookClaim]:
    """Claim up to `limit` unapplied webhooks, oldest first (committed: the lease holds across transactions)."""
    with conn.cursor() as cur:
        cur.execute(load_sql("webhooks/claim"), {"limit": limit, "worker": worker, "lease_seconds": lease_seconds})
        claims = sorted((WebhookClaim(*row) for row in cur.fetchall()), key=lambda c: c.id)
    conn.commit()
    return claims


def finish(cur, claims: Iterable[WebhookClaim], outcome: str, worker: str, error: str | None = None) -> int:
    """Mark claims done with `outcome` inside the caller's transaction; returns how many this worker still held."""
    ids = [c.id for c in claims]
    if not ids:
        return 0
    clipped = None if error is None else error[: dead_letters.MAX_ERROR_LENGTH]
    cur.execute(load_sql("webhooks/finish"), {"ids": ids, "outcome": outcome, "worker": worker, "error": clipped})
    return len(cur.fetchall())


def failed(
    conn,
    claims: list[WebhookClaim],
    worker: str,
    error: str,
    *,
    max_attempts: int,
    run_id: str,
    retry_after_seconds: float,
) -> int:
    """Record a failed try of each claim (committed): retried after a back-off, times its tries so far; at
    `max_attempts` the event goes to dead_letters and the webhook is done as dead_lettered. Returns how many gave up."""
    given_up = [c for c in claims if c.attempts >= max_attempts]
    retried = [c for c in claims if c.attempts < max_attempts]
    with conn.cursor() as cur:
        if given_up:
            reason = f"webhook failed {max_attempts} times; last error: {error}"
            dead_letters.write(cur, "events", [(c.payload, reason) for c in given_up], run_id)
            finish(cur, given_up, "dead_lettered", worker, error)
        for tries in sorted({c.attempts for c in retried}):
            cur.execute(
                load_sql("webhooks/failed"),
                {
                    "ids": [c.id for c in retried if c.attempts == tries],
                    "worker": worker,
                    "error": error[: dead_letters.MAX_ERROR_LENGTH],
                    "retry_after_seconds": retry_after_seconds * tries,
                },
            )
    conn.commit()
    return len(given_up)


def release(conn, claims: Iterable[WebhookClaim], worker: str) -> None:
    """Hand back claims not tried (the run stopped first): free at once, their attempt uncounted; committed."""
    ids = [c.id for c in claims]
    conn.rollback()  # a failed load may have left the transaction aborted
    if ids:
        with conn.cursor() as cur:
            cur.execute(load_sql("webhooks/release"), {"ids": ids, "worker": worker})
    conn.commit()


def stored_views(cur, resource: Resource, ids: Iterable[str]) -> dict[str, Decimal | None]:
    """The view time of the stored rows of `resource` among `ids` (absent ids are not stored)."""
    ids = sorted(set(ids))
    if not ids:
        return {}
    cur.execute(load_sql("webhooks/stored_views", table=sql.Identifier(*resource.table)), {"ids": ids})
    return dict(cur.fetchall())


def newest_pending(cur) -> int | None:
    """The id of the newest stored webhook not yet applied, or None."""
    cur.execute(load_sql("webhooks/pending_since"))
    return cur.fetchone()[0]
