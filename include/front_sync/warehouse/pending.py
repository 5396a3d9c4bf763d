"""The sync_pending work queue: conversations whose messages or comments must be fetched.

Several consumers may work it at once (the hourly run, a backfill, an on-demand run, on any worker): each claims
rows with FOR UPDATE SKIP LOCKED and a lease, so no two fetch the same conversation and a dead worker's rows
come free when the lease lapses. A request queued again while claimed raises the row's generation; finishing
the older claim then leaves the row for the next consumer, so no request is lost. A conversation that fails
`max_attempts` times goes to dead_letters and leaves the queue, so one poison conversation never blocks the rest.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from enum import IntEnum

from front_sync.warehouse import dead_letters, known
from front_sync.warehouse.sql_files import load_sql


class Priority(IntEnum):
    """Who asked: the queue is worked in this order (then oldest request first)."""

    ON_DEMAND = 0
    HOURLY = 1
    BACKFILL = 2


PRIORITY_OF_MODE = {"on_demand": Priority.ON_DEMAND, "incremental": Priority.HOURLY, "full": Priority.HOURLY,
                    "backfill": Priority.BACKFILL}


@dataclass(frozen=True)
class Claim:
    """A claimed row: the conversation, the request generation claimed, how many tries it has had, and the
    conversation's stored updated_at at the claim (what a complete fetch is current for; None if not stored)."""

    conversation_id: str
    generation: int
    attempts: int
    as_of: Decimal | None = None


def enqueue(cur, resource: str, conversation_ids: Iterable[str], run_id: str,
            priority: Priority = Priority.HOURLY) -> int:
    """Ask for a fetch, inside the caller's transaction (so the request commits with the rows that caused it)."""
    ids = sorted(set(conversation_ids))
    if ids:
        cur.execute(load_sql("pending/enqueue"), {"resource": resource, "ids": ids, "run_id": run_id,
                                                  "priority": int(priority)})
    return len(ids)


def take(conn, resource: str, limit: int, *, worker: str, lease_seconds: float,
         only: list[str] | None = None) -> list[Claim]:
    """Claim up to `limit` free rows (committed), most urgent and oldest first; `only` limits them to some ids."""
    with conn.cursor() as cur:
        cur.execute(load_sql("pending/take"), {"resource": resource, "limit": limit, "worker": worker,
                                               "lease_seconds": lease_seconds, "only": only})
        claims = [Claim(*row) for row in cur.fetchall()]
    conn.commit()
    return claims


def done(cur, resource: str, claims: Iterable[Claim], worker: str, run_id: str = "") -> None:
    """Finish claims inside the transaction that loaded their rows (newer requests for them stay queued) and
    mark the conversations' children current as of each claim (front.children_synced)."""
    claims = list(claims)
    if claims:
        cur.execute(load_sql("pending/done"), {
            "resource": resource, "worker": worker, "ids": [c.conversation_id for c in claims],
            "generations": [c.generation for c in claims], "as_of": [c.as_of for c in claims],
            "run_id": run_id})


def failed(conn, resource: str, claim: Claim, worker: str, error: str, *, max_attempts: int, run_id: str,
           retry_after_seconds: float) -> bool:
    """Record a failed try (committed); at `max_attempts` the conversation goes to dead_letters. True if it did."""
    with conn.cursor() as cur:
        if claim.attempts >= max_attempts:
            reason = f"{resource} of {claim.conversation_id} failed {claim.attempts} times; last error: {error}"
            dead_letters.write(cur, resource, [({"id": claim.conversation_id, "queue": resource}, reason)], run_id)
            cur.execute(load_sql("pending/give_up"), {"resource": resource, "conversation_id": claim.conversation_id,
                                                      "generation": claim.generation})
            known.forget_children(cur, resource, [claim.conversation_id])  # never fetched: not current (item 3)
            gave_up = True
        else:
            gave_up = False
        cur.execute(load_sql("pending/failed"), {
            "resource": resource, "conversation_id": claim.conversation_id, "worker": worker,
            "error": error[:dead_letters.MAX_ERROR_LENGTH], "retry_after_seconds": retry_after_seconds})
    conn.commit()
    return gave_up


def release(conn, resource: str, claims: Iterable[Claim], worker: str) -> None:
    """Hand back claims that were not started (a cap or the deadline stopped the consumer); committed."""
    ids = [c.conversation_id for c in claims]
    if ids:
        with conn.cursor() as cur:
            cur.execute(load_sql("pending/release"), {"resource": resource, "worker": worker, "ids": ids})
        conn.commit()


def release_earlier_tries(conn, resource: str, task_prefix: str, worker: str) -> int:
    """Free claims held by earlier tries of this task (worker ids starting with `task_prefix`); committed."""
    like = task_prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    with conn.cursor() as cur:
        cur.execute(load_sql("pending/release_earlier_tries"), {"resource": resource, "prefix": like,
                                                                "worker": worker})
        freed = cur.rowcount
    conn.commit()
    return freed


def count(conn, resource: str, only: list[str] | None = None) -> int:
    """How many conversations still wait for a fetch (of `only`, when given)."""
    with conn.cursor() as cur:
        cur.execute(load_sql("pending/count"), {"resource": resource, "only": only})
        n = cur.fetchone()[0]
    conn.commit()
    return n
