"""Fetch the messages or comments of queued conversations, a few at a time in parallel, and load them.

Work comes from the sync_pending queue (see pending.py for the claim rules), claimed as fetch slots free up:
`workers` conversations are in flight all the time and each is loaded the moment its fetch ends, so one
conversation waiting out a backoff or a 429 delays nothing but itself. Per conversation:
- a complete fetch loads its records, soft-deletes the ones Front no longer returns, and finishes the claim;
- a fetch that fails part-way still loads the pages it got, and the conversation stays queued (tried again
  after a back-off; after `max_attempts` tries it goes to dead_letters and the rest of the queue goes on);
- a merged conversation (301) is soft-deleted and its survivor queued; a 404 soft-deletes the conversation;
- a load that raises (statement timeout, memory...) is a failed try of that conversation, like a failed fetch.
While claims are worked a heartbeat renews their leases; a claim whose lease was lost to another consumer is
neither finished nor used to soft-delete anything (only the claim's holder acts on a complete fetch).
When many conversations in a row fail (or every one of a short queue) and Front does not answer GET /me either,
Front itself is failing: the claims are handed back uncounted and the task fails, so Airflow's retry tries again
later instead of dead-lettering healthy conversations. An exception hands back every claim not yet settled.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from front_sync.hooks.errors import FrontBadRequestError, FrontLooksDownError, FrontUnsafeURLError
from front_sync.hooks.front import FrontAPIError, FrontConversationMerged, FrontNotFound
from front_sync.resources import CONVERSATIONS, Resource
from front_sync.sync.batching import record_ids
from front_sync.sync.progress import Progress
from front_sync.warehouse import known, pending
from front_sync.warehouse.load import BatchResult, LoadHistory, load_batch
from front_sync.warehouse.prepare import View
from front_sync.warehouse.reconcile import (
    soft_delete,
    soft_delete_merged_sub_resources_gone,
    soft_delete_sub_resources_gone,
)
from front_sync.warehouse.transaction import transaction

log = logging.getLogger(__name__)

# Per-conversation failures: recorded on the queue row; anything else (auth, Front down) fails the task.
_CONVERSATION_ERRORS = (FrontAPIError, FrontBadRequestError, FrontUnsafeURLError)
_WAIT_FOR_OTHERS_SECONDS = 2.0


@dataclass(frozen=True)
class DrainSettings:
    """How one consumer works the queue: who it is, its lease, when to give up on a conversation, when to stop."""

    worker: str
    priority: pending.Priority
    workers: int = 4
    lease_seconds: float = 600.0
    max_attempts: int = 5
    retry_after_seconds: float = 60.0
    cap: int | None = None
    deadline: float | None = None  # time.monotonic() after which no new chunk is claimed
    only: list[str] | None = None  # on demand: these conversations only
    band: tuple[pending.Priority, pending.Priority] = (pending.Priority.ON_DEMAND, pending.Priority.BACKFILL)


@dataclass
class DrainResult:
    """Counts of one drain: records loaded, conversations done, merged, missing or failed, and why it stopped."""

    loaded: BatchResult = field(default_factory=BatchResult)
    fetched: int = 0
    conversations: int = 0
    merged: int = 0
    missing: int = 0
    failed: int = 0
    dead_lettered_conversations: int = 0
    records_deleted: int = 0
    lost_leases: int = 0  # fetched after another consumer took the claim over: loaded, nothing else
    history: LoadHistory = field(default_factory=LoadHistory, repr=False)  # the loader's memory of this drain's batches
    capped: bool = False
    out_of_time: bool = False


@dataclass
class _Fetched:
    """What one conversation's fetch brought: its records so far, and the error that stopped it, if any."""

    records: list[dict[str, Any]]
    view: View  # the request's start: what it returned is at least this new (the version rule)
    error: BaseException | None = None
    pages: int = 0


def _fetch(front, resource: Resource, conversation_id: str) -> _Fetched:
    """Every record of one conversation, or as many pages as came before an error; runs in a worker thread."""
    path = resource.path.format(parent_id=conversation_id)
    records: list[dict[str, Any]] = []
    pages = 0
    view = View.requested_now()
    try:
        for page in front.iter_pages(path, dict(resource.list_params) or None):
            records.extend(page)
            pages += 1
    except FrontLooksDownError:
        raise
    except _CONVERSATION_ERRORS as exc:
        return _Fetched(records, view, exc, pages)
    return _Fetched(records, view, pages=pages)


def drain(front, conn, resource: Resource, run_id: str, settings: DrainSettings) -> DrainResult:
    """Work through the queue for `resource` until it is empty, the cap is reached or the deadline passed.

    Up to `settings.workers` conversations are fetched at once, continuously: a new one is claimed as soon as
    one is done, and each is loaded the moment its fetch ends, so a slow or retrying conversation holds back
    nothing but itself (there is no chunk to wait for). A heartbeat renews the leases of the claims in hand.
    """
    result = DrainResult()
    worker = _Drain(front, conn, resource, run_id, settings, result, Progress(resource.name, front, total=None))
    with pending.LeaseKeeper(conn, resource.name, settings.worker, settings.lease_seconds, worker.working):
        stopped = _drain_rounds(conn, resource, settings, worker)
    _report(conn, resource, settings, stopped, result)
    worker.progress.report(final=True)
    return result


def _drain_rounds(conn, resource: Resource, settings: DrainSettings, worker: _Drain) -> str:
    """Work rounds until the queue is empty (or, on demand, our conversations are), the cap or the deadline."""
    waited_since: float | None = None
    while True:
        stopped, claimed = worker.work_round()
        if claimed:
            waited_since = None
        if stopped == "empty" and settings.only and pending.count(conn, resource.name, settings.only):
            # Another consumer holds some of our conversations: wait for it (its lease bounds the wait).
            waited_since = waited_since or time.monotonic()
            if time.monotonic() - waited_since < settings.lease_seconds:
                time.sleep(_WAIT_FOR_OTHERS_SECONDS)
                continue
        return stopped


def _report(conn, resource: Resource, settings: DrainSettings, stopped: str, result: DrainResult) -> None:
    """Why the drain stopped and what failed, on the result and in the task log."""
    if stopped == "deadline":
        result.out_of_time = pending.count(conn, resource.name, settings.only) > 0
    if stopped == "cap":
        result.capped = pending.count(conn, resource.name, settings.only) > 0
        if result.capped:
            log.warning(
                "%s: stopped at max_results=%d; queued conversations wait for the next run", resource.name, settings.cap
            )
    if result.out_of_time:
        log.warning("%s: stopped at the task's time budget; queued conversations wait for the next run", resource.name)
    if result.failed:
        log.warning(
            "%s: %d conversation(s) failed (fetch or load) and stay queued for a later try; %d gave up "
            "after %d tries and went to front.dead_letters",
            resource.name,
            result.failed,
            result.dead_lettered_conversations,
            settings.max_attempts,
        )


class _Drain:
    """One consumer's pass over the queue: claims as fetch slots free up, applies each outcome as it arrives.

    Claims move through three states: buffered (claimed, not yet handed to the pool), in flight (fetching)
    and settled (finished or recorded as failed). A failure is held back, unrecorded, until a success shows
    that Front itself is fine: when `outage_window` conversations in a row fail and Front does not answer
    GET /me either, Front is failing, so their claims are handed back uncounted and the task fails (Airflow's
    retry tries again later instead of dead-lettering healthy conversations).
    """

    def __init__(
        self,
        front,
        conn,
        resource: Resource,
        run_id: str,
        settings: DrainSettings,
        result: DrainResult,
        progress: Progress,
    ) -> None:
        self.front, self.conn, self.resource, self.run_id = front, conn, resource, run_id
        self.settings, self.result, self.progress = settings, result, progress
        self.outage_window = max(settings.workers * 4, 8)
        self.claim_batch = max(settings.workers, 1)
        self.buffered: deque[pending.Claim] = deque()
        self.in_flight: dict[str, pending.Claim] = {}
        self.suspects: list[tuple[pending.Claim, _Fetched]] = []
        self.claimed = 0

    def working(self) -> list[str]:
        """The conversations claimed and not settled yet (the heartbeat's list; read from its thread)."""
        return [
            *tuple(self.in_flight),
            *(c.conversation_id for c in tuple(self.buffered)),
            *(c.conversation_id for c, _ in tuple(self.suspects)),
        ]

    def work_round(self) -> tuple[str, int]:
        """Fetch until no claim is left to take; returns why ("empty", "cap" or "deadline") and how many claims."""
        stopped: list[str] = []
        self.claimed = 0
        fetch = self.front.map_concurrent(
            lambda c: (c, _fetch(self.front, self.resource, c.conversation_id)),
            self._claims(stopped),
            max_workers=self.settings.workers,
        )
        try:
            for claim, fetched in fetch:
                self.in_flight.pop(claim.conversation_id, None)  # a lapsed lease may have been taken again
                self._apply(claim, fetched)
            self._settle_suspects(final=True)
        except BaseException:
            fetch.close()  # stop the pool before handing its claims back
            unsettled = [*self.buffered, *self.in_flight.values(), *(claim for claim, _ in self.suspects)]
            self.buffered.clear()
            self.in_flight.clear()
            self.suspects = []
            pending.release(self.conn, self.resource.name, unsettled, self.settings.worker)
            raise
        return stopped[0], self.claimed

    def _claims(self, stopped: list[str]) -> Iterator[pending.Claim]:
        """Claims, taken from the queue a few at a time as the pool asks for them, until cap, deadline or empty."""
        settings = self.settings
        while True:
            if settings.deadline is not None and time.monotonic() >= settings.deadline:
                stopped.append("deadline")
                break
            if settings.cap is not None and self.result.fetched >= settings.cap:
                stopped.append("cap")
                break
            if not self.buffered:
                self.buffered.extend(
                    pending.take(
                        self.conn,
                        self.resource.name,
                        self.claim_batch,
                        worker=settings.worker,
                        lease_seconds=settings.lease_seconds,
                        only=settings.only,
                        band=settings.band,
                    )
                )
                if not self.buffered:
                    stopped.append("empty")
                    break
                self.claimed += len(self.buffered)
            claim = self.buffered.popleft()
            self.in_flight[claim.conversation_id] = claim
            yield claim
        pending.release(self.conn, self.resource.name, list(self.buffered), settings.worker)
        self.buffered.clear()

    def _apply(self, claim: pending.Claim, fetched: _Fetched) -> None:
        """Load one conversation's records; finish it if Front answered, else hold its failure as a suspect. A load
        that raises is a failed try of this conversation (issue 19 item 6): counted, dead-lettered at the maximum."""
        try:
            _load(self.conn, self.resource, self.run_id, claim, fetched, self.result)
        except Exception as exc:  # noqa: BLE001 - any load error is this conversation's; a dead database re-raises
            self.conn.rollback()
            self._load_failed(claim, fetched, exc)
            return
        self.progress.add(pages=fetched.pages, records=len(fetched.records))
        if fetched.error is None or isinstance(fetched.error, (FrontConversationMerged, FrontNotFound)):
            _finish(self.conn, self.resource, self.run_id, self.settings, claim, fetched, self.result)
            self._record_failures()  # Front answers: the failures so far were the conversations' own
        else:
            self.suspects.append((claim, fetched))
            self._settle_suspects(final=False)

    def _settle_suspects(self, *, final: bool) -> None:
        """After `outage_window` failures in a row (or at the end, two or more): an outage, or their own?"""
        enough = len(self.suspects) >= (2 if final else self.outage_window)
        if enough and not _front_answers(self.front):
            self._raise_outage()
        if enough or final:
            self._record_failures()

    def _raise_outage(self) -> None:
        """Fail the task; work_round hands every unsettled claim back uncounted on the way out."""
        failures = self.suspects
        first = failures[0][1].error
        raise FrontAPIError(
            f"{self.resource.name}: {len(failures)} conversations in a row failed (first: "
            f"{type(first).__name__}: {first}) and Front does not answer GET /me either; the task "
            f"retry tries again later"
        ) from first

    def _record_failures(self) -> None:
        """Record the held failures on their queue rows (retried later; dead-lettered after max_attempts)."""
        settings, result = self.settings, self.result
        failures, self.suspects = self.suspects, []
        for claim, fetched in failures:
            error = f"{type(fetched.error).__name__}: {fetched.error}"
            result.failed += 1
            log.warning(
                "%s of %s failed after %d record(s) (try %d of %d): %s",
                self.resource.name,
                claim.conversation_id,
                len(fetched.records),
                claim.attempts,
                settings.max_attempts,
                error,
            )
            if pending.failed(
                self.conn,
                self.resource.name,
                claim,
                settings.worker,
                error,
                max_attempts=settings.max_attempts,
                run_id=self.run_id,
                retry_after_seconds=settings.retry_after_seconds * claim.attempts,
            ):
                result.dead_lettered_conversations += 1

    def _load_failed(self, claim: pending.Claim, fetched: _Fetched, exc: Exception) -> None:
        """Record a load that raised on the conversation's queue row (its records come again with the next try)."""
        settings, result = self.settings, self.result
        result.failed += 1
        sqlstate = getattr(exc, "sqlstate", None)
        log.warning(
            "%s of %s: loading %d record(s) failed (try %d of %d): %s%s",
            self.resource.name,
            claim.conversation_id,
            len(fetched.records),
            claim.attempts,
            settings.max_attempts,
            type(exc).__name__,
            f" (SQLSTATE {sqlstate})" if sqlstate else "",
        )
        if pending.failed(
            self.conn,
            self.resource.name,
            claim,
            settings.worker,
            f"load: {type(exc).__name__}: {exc}",
            max_attempts=settings.max_attempts,
            run_id=self.run_id,
            retry_after_seconds=settings.retry_after_seconds * claim.attempts,
        ):
            result.dead_lettered_conversations += 1


def _front_answers(front) -> bool:
    """Whether Front answers a cheap call: tells an outage from conversations that fail on their own."""
    try:
        front.get_me()
    except (FrontAPIError, FrontBadRequestError):
        return False
    return True


def _load(conn, resource: Resource, run_id: str, claim: pending.Claim, fetched: _Fetched, result: DrainResult) -> None:
    """Load what was fetched, complete or not (records already received are never thrown away). Counted only once
    loaded: a load that raised rolled back, and its records come again with the conversation's next try."""
    if fetched.records:
        result.loaded.add(
            load_batch(
                conn,
                resource,
                fetched.records,
                run_id,
                view=fetched.view,
                parent_id=claim.conversation_id,
                history=result.history,
            )
        )
    result.fetched += len(fetched.records)


def _finish(
    conn,
    resource: Resource,
    run_id: str,
    settings: DrainSettings,
    claim: pending.Claim,
    fetched: _Fetched,
    result: DrainResult,
) -> None:
    """Settle a conversation whose fetch ended with an answer: complete, merged (301) or gone (404); only while
    this consumer holds the claim (a consumer whose lease was lost leaves it all to the one that took it)."""
    if not _still_held(conn, resource, settings, claim, result):
        return
    conversation_id = claim.conversation_id
    fetch_started = claim.claimed_at
    if fetch_started is None:  # pending.take stamps every claim: a claim without a time cannot prove a row gone
        raise ValueError(f"the claim of {conversation_id} has no claim time: only pending.take's claims settle")
    error = fetched.error
    if isinstance(error, FrontConversationMerged):
        result.merged += 1
        soft_delete(conn, CONVERSATIONS, [conversation_id], run_id, view_at=fetched.view.at)
    elif isinstance(error, FrontNotFound):
        result.missing += 1
        log.warning("%s: conversation %s is gone (404); soft-deleted", resource.name, conversation_id)
        soft_delete(conn, CONVERSATIONS, [conversation_id], run_id, view_at=fetched.view.at)
    else:
        result.conversations += 1
    fetch_started = claim.claimed_at
    if fetch_started is None:  # pending.take stamps every claim: a claim without a time cannot prove a row gone
        raise ValueError(f"the claim of {conversation_id} has no claim time: only pending.take's claims settle")
    with transaction(conn) as cur:
        if not pending.held(cur, resource.name, [claim], settings.worker):  # locked until commit when held
            _lost(resource, claim, result)
            return
        if isinstance(error, FrontConversationMerged):
            known.record_merges(cur, {conversation_id: error.surviving_id}, run_id)
            pending.enqueue(cur, resource.name, [error.surviving_id], run_id, settings.priority)
        else:  # a complete fetch, or none at all (404): what Front did not return is gone
            kept = record_ids(fetched.records)
            result.records_deleted += soft_delete_sub_resources_gone(
                cur, resource, conversation_id, kept, run_id, fetch_started, view_at=fetched.view.at
            )
        pending.done(cur, resource.name, [claim], settings.worker, run_id)
        if isinstance(error, FrontNotFound):  # a 404 may reverse: its sub-resources are not proven gone (item 3)
            known.forget_sub_resources(cur, resource.name, [conversation_id])
        elif error is None:  # every row read: merged-away leftovers are gone, and the conversation verified
            result.records_deleted += soft_delete_merged_sub_resources_gone(
                cur, resource, conversation_id, kept, run_id, fetch_started, view_at=fetched.view.at
            )
            known.record_verified(cur, resource.name, [conversation_id], run_id)


def _still_held(conn, resource: Resource, settings: DrainSettings, claim: pending.Claim, result: DrainResult) -> bool:
    """Whether this consumer still holds the claim; a lost one is logged and counted."""
    with conn.cursor() as cur:
        mine = pending.held(cur, resource.name, [claim], settings.worker)
    conn.commit()
    if not mine:
        _lost(resource, claim, result)
    return bool(mine)


def _lost(resource: Resource, claim: pending.Claim, result: DrainResult) -> None:
    result.lost_leases += 1
    log.warning(
        "%s of %s: this consumer's lease ran out and another consumer took the conversation over; what "
        "this fetch brought is loaded, but it neither finishes the request nor soft-deletes anything",
        resource.name,
        claim.conversation_id,
    )
