"""The sync_pending work queue: conversations whose messages or comments must be fetched.

Several consumers may work it at once (the hourly run, a backfill, an on-demand run, on any worker): each claims
rows with FOR UPDATE SKIP LOCKED and a lease, so no two fetch the same conversation and a dead worker's rows
come free when the lease lapses. A request queued again while claimed raises the row's generation; finishing
the older claim then leaves the row for the next consumer, so no request is lost. A conversation that fails
`max_attempts` times goes to dead_letters and leaves the queue, so one poison conversation never blocks the rest.
A consumer renews the leases of the claims it works (`renew`, a heartbeat); one whose lease ran out and was taken by
another consumer no longer holds the claim (`held`) and must neither finish it nor act on its fetch.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import IntEnum

import psycopg

from front_sync.warehouse import dead_letters, known
from front_sync.warehouse.sql_files import load_sql

log = logging.getLogger(__name__)


class Priority(IntEnum):
    """Who asked: the queue is worked in this order (then oldest request first). Which run asks at which priority
    is the run plan's (sync/run_plan.py)."""

    ON_DEMAND = 0
    HOURLY = 1
    BACKFILL = 2
    VERIFY = 3  # the nightly verification's slice: only the verify tasks take these (the hourly quota stays small)


@dataclass(frozen=True)
class Claim:
    """A claimed row: the conversation, the request generation claimed, how many tries it has had (with the
    worker, what identifies the claim), the conversation's stored updated_at at the claim (what a complete fetch is
    current for; None if not stored) and the claim's time on the warehouse clock (the fetch started after it)."""

    conversation_id: str
    generation: int
    attempts: int
    as_of: Decimal | None = None
    claimed_at: datetime | None = None


def enqueue(
    cur, resource: str, conversation_ids: Iterable[str], run_id: str, priority: Priority = Priority.HOURLY
) -> int:
    """Ask for a fetch, inside the caller's transaction (so the request commits with the rows that caused it)."""
    ids = sorted(set(conversation_ids))
    if ids:
        cur.execute(
            load_sql("pending/enqueue"), {"resource": resource, "ids": ids, "run_id": run_id, "priority": int(priority)}
        )
    return len(ids)


def take(
    conn,
    resource: str,
    limit: int,
    *,
    worker: str,
    lease_seconds: float,
    only: list[str] | None = None,
    band: tuple[Priority, Priority] = (Priority.ON_DEMAND, Priority.BACKFILL),
) -> list[Claim]:
    """Claim up to `limit` free rows (committed), most urgent and oldest first; `only` limits them to some ids,
    `band` to a range of priorities (the verify tasks take the verification's requests, nobody else does)."""
    with conn.cursor() as cur:
        cur.execute(
            load_sql("pending/take"),
            {
                "resource": resource,
                "limit": limit,
                "worker": worker,
                "lease_seconds": lease_seconds,
                "only": only,
                "most_urgent": int(band[0]),
                "least_urgent": int(band[1]),
            },
        )
        claims = [Claim(*row) for row in cur.fetchall()]
    conn.commit()
    return claims


def held(cur, resource: str, claims: Iterable[Claim], worker: str) -> set[str]:
    """The conversations of `claims` this consumer still holds, locked until the caller's transaction ends."""
    claims = list(claims)
    if not claims:
        return set()
    cur.execute(
        load_sql("pending/held"),
        {
            "resource": resource,
            "worker": worker,
            "ids": [c.conversation_id for c in claims],
            "attempts": [c.attempts for c in claims],
        },
    )
    return {row[0] for row in cur.fetchall()}


def renew(conn, resource: str, conversation_ids: Iterable[str], worker: str, lease_seconds: float) -> int:
    """Extend the leases this consumer still holds on `conversation_ids` (committed); returns how many."""
    ids = sorted(set(conversation_ids))
    if not ids:
        return 0
    with conn.cursor() as cur:
        cur.execute(
            load_sql("pending/renew"),
            {"resource": resource, "worker": worker, "ids": ids, "lease_seconds": lease_seconds},
        )
        renewed = cur.rowcount
    conn.commit()
    return renewed


class LeaseKeeper:
    """The heartbeat of a consumer: while open, renews every lease_seconds / 3 the leases of the claims `working()`
    names, on its own connection and thread (the consumer's connection is busy loading). A renewal that fails is
    logged and tried again at the next beat; the lease itself bounds the harm."""

    def __init__(
        self, conn, resource: str, worker: str, lease_seconds: float, working: Callable[[], Iterable[str]]
    ) -> None:
        self.params = (conn.info.dsn, conn.info.password)
        self.resource, self.worker, self.lease_seconds, self.working = resource, worker, lease_seconds, working
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._beat, name=f"lease-keeper-{resource}", daemon=True)

    def __enter__(self) -> LeaseKeeper:
        self.thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop.set()
        self.thread.join()

    def _beat(self) -> None:
        dsn, password = self.params
        conn = None
        while not self.stop.wait(max(self.lease_seconds / 3, 0.05)):
            try:
                conn = conn or psycopg.connect(dsn, password=password)
                renew(conn, self.resource, self.working(), self.worker, self.lease_seconds)
            except psycopg.Error as exc:
                log.warning(
                    "%s: renewing the leases of %s failed (%s); trying again at the next beat",
                    self.resource,
                    self.worker,
                    type(exc).__name__,
                )
                if conn is not None:
                    conn.close()
                conn = None
        if conn is not None:
            conn.close()


def done(cur, resource: str, claims: Iterable[Claim], worker: str, run_id: str = "") -> set[str]:
    """Finish the claims this consumer still holds, inside the transaction that loaded their rows (newer requests
    for them stay queued), and mark those conversations' sub-resources current as of each claim (children_synced).
    Returns the conversations finished; a claim another consumer took over is left to it."""
    claims = list(claims)
    mine = held(cur, resource, claims, worker)
    finished = [c for c in claims if c.conversation_id in mine]
    if finished:
        cur.execute(
            load_sql("pending/done"),
            {
                "resource": resource,
                "worker": worker,
                "ids": [c.conversation_id for c in finished],
                "generations": [c.generation for c in finished],
                "as_of": [c.as_of for c in finished],
                "run_id": run_id,
            },
        )
    return mine


def failed(
    conn,
    resource: str,
    claim: Claim,
    worker: str,
    error: str,
    *,
    max_attempts: int,
    run_id: str,
    retry_after_seconds: float,
) -> bool:
    """Record a failed try (committed); at `max_attempts` the conversation goes to dead_letters. True if it did.
    A claim another consumer took over (this lease ran out) is left alone: its try is the other consumer's."""
    with conn.cursor() as cur:
        if not held(cur, resource, [claim], worker):
            conn.commit()
            return False
        if claim.attempts >= max_attempts:
            reason = f"{resource} of {claim.conversation_id} failed {claim.attempts} times; last error: {error}"
            dead_letters.write(cur, resource, [({"id": claim.conversation_id, "queue": resource}, reason)], run_id)
            cur.execute(
                load_sql("pending/give_up"),
                {"resource": resource, "conversation_id": claim.conversation_id, "generation": claim.generation},
            )
            known.forget_sub_resources(cur, resource, [claim.conversation_id])  # never fetched: not current (item 3)
            gave_up = True
        else:
            gave_up = False
        cur.execute(
            load_sql("pending/failed"),
            {
                "resource": resource,
                "conversation_id": claim.conversation_id,
                "worker": worker,
                "error": error[: dead_letters.MAX_ERROR_LENGTH],
                "retry_after_seconds": retry_after_seconds,
            },
        )
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
        cur.execute(load_sql("pending/release_earlier_tries"), {"resource": resource, "prefix": like, "worker": worker})
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
