"""Fetch the messages or comments of queued conversations, a few at a time in parallel, and load them.

Work comes from the sync_pending queue (see pending.py for the claim rules). Per conversation:
- a complete fetch loads its records, soft-deletes the ones Front no longer returns, and finishes the claim;
- a fetch that fails part-way still loads the pages it got, and the conversation stays queued (tried again
  after a back-off; after `max_attempts` tries it goes to dead_letters and the rest of the queue goes on);
- a merged conversation (301) is soft-deleted and its survivor queued; a 404 soft-deletes the conversation.
When every conversation of a chunk fails and Front does not answer GET /me either, Front itself is failing: the
claims are handed back uncounted and the task fails, so Airflow's retry tries again later instead of
dead-lettering healthy conversations.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Any

from front_sync.hooks.errors import FrontBadRequestError, FrontLooksDownError, FrontUnsafeURLError
from front_sync.hooks.front import FrontAPIError, FrontConversationMerged, FrontNotFound
from front_sync.resources import CONVERSATIONS, Resource
from front_sync.sync.batching import record_ids
from front_sync.sync.progress import Progress
from front_sync.warehouse import pending
from front_sync.warehouse.load import BatchResult, load_batch
from front_sync.warehouse.reconcile import soft_delete, soft_delete_children_gone

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
    deadline: float | None = None        # time.monotonic() after which no new chunk is claimed
    only: list[str] | None = None        # on demand: these conversations only


@dataclass
class ChildrenResult:
    """Counts of one drain: records loaded, conversations done, merged, missing or failed, and why it stopped."""

    loaded: BatchResult = field(default_factory=BatchResult)
    fetched: int = 0
    conversations: int = 0
    merged: int = 0
    missing: int = 0
    failed: int = 0
    dead_lettered_conversations: int = 0
    children_deleted: int = 0
    capped: bool = False
    out_of_time: bool = False


@dataclass
class _Fetched:
    """What one conversation's fetch brought: its records so far, and the error that stopped it, if any."""

    records: list[dict[str, Any]]
    error: BaseException | None = None
    pages: int = 0


def _fetch(front, resource: Resource, conversation_id: str) -> _Fetched:
    """Every record of one conversation, or as many pages as came before an error; runs in a worker thread."""
    path = resource.path.format(parent_id=conversation_id)
    records: list[dict[str, Any]] = []
    pages = 0
    try:
        for page in front.iter_pages(path, dict(resource.list_params) or None):
            records.extend(page)
            pages += 1
    except FrontLooksDownError:
        raise
    except _CONVERSATION_ERRORS as exc:
        return _Fetched(records, exc, pages)
    return _Fetched(records, pages=pages)


def drain(front, conn, resource: Resource, run_id: str, settings: DrainSettings) -> ChildrenResult:
    """Work through the queue for `resource` until it is empty, the cap is reached or the deadline passed."""
    result = ChildrenResult()
    progress = Progress(resource.name, front, total=None)
    chunk = max(settings.workers * 4, 8)
    waited_since: float | None = None
    while True:
        if settings.deadline is not None and time.monotonic() >= settings.deadline:
            result.out_of_time = pending.count(conn, resource.name, settings.only) > 0
            break
        claims = pending.take(conn, resource.name, chunk, worker=settings.worker,
                              lease_seconds=settings.lease_seconds, only=settings.only)
        if not claims:
            if settings.only and pending.count(conn, resource.name, settings.only):
                # Another consumer holds some of our conversations: wait for it (its lease bounds the wait).
                waited_since = waited_since or time.monotonic()
                if time.monotonic() - waited_since < settings.lease_seconds:
                    time.sleep(_WAIT_FOR_OTHERS_SECONDS)
                    continue
            break
        waited_since = None
        _work_chunk(front, conn, resource, run_id, settings, claims, result, progress)
        if settings.cap is not None and result.fetched >= settings.cap:
            result.capped = pending.count(conn, resource.name, settings.only) > 0
            if result.capped:
                log.warning("%s: stopped at max_results=%d; queued conversations wait for the next run",
                            resource.name, settings.cap)
            break
    if result.out_of_time:
        log.warning("%s: stopped at the task's time budget; queued conversations wait for the next run",
                    resource.name)
    if result.failed:
        log.warning("%s: %d conversation fetch(es) failed and stay queued for a later try; %d gave up after %d "
                    "tries and went to front.dead_letters", resource.name, result.failed,
                    result.dead_lettered_conversations, settings.max_attempts)
    progress.report(final=True)
    return result


def _work_chunk(front, conn, resource: Resource, run_id: str, settings: DrainSettings,
                claims: list[pending.Claim], result: ChildrenResult, progress: Progress) -> None:
    """Fetch a chunk of claimed conversations concurrently and apply each outcome as it arrives."""
    by_id = {c.conversation_id: c for c in claims}
    failures: list[tuple[pending.Claim, _Fetched]] = []
    succeeded = 0
    started: set[str] = set()
    try:
        for claim, fetched in front.map_concurrent(
                lambda c: (c, _fetch(front, resource, c.conversation_id)), claims, max_workers=settings.workers):
            started.add(claim.conversation_id)
            _load(conn, resource, run_id, claim, fetched, result)
            progress.add(pages=fetched.pages, records=len(fetched.records))
            if fetched.error is None or isinstance(fetched.error, (FrontConversationMerged, FrontNotFound)):
                _finish(conn, resource, run_id, settings, claim, fetched, result)
                succeeded += 1
            else:
                failures.append((claim, fetched))
    except BaseException:
        pending.release(conn, resource.name, [c for i, c in by_id.items() if i not in started], settings.worker)
        raise
    if failures and not succeeded and len(failures) > 1 and not _front_answers(front):
        pending.release(conn, resource.name, [claim for claim, _ in failures], settings.worker)
        first = failures[0][1].error
        raise FrontAPIError(f"{resource.name}: every conversation of a chunk of {len(failures)} failed (first: "
                            f"{type(first).__name__}: {first}) and Front does not answer GET /me either; the task "
                            f"retry tries again later") from first
    for claim, fetched in failures:
        error = f"{type(fetched.error).__name__}: {fetched.error}"
        result.failed += 1
        log.warning("%s of %s failed after %d record(s) (try %d of %d): %s", resource.name, claim.conversation_id,
                    len(fetched.records), claim.attempts, settings.max_attempts, error)
        if pending.failed(conn, resource.name, claim, settings.worker, error, max_attempts=settings.max_attempts,
                          run_id=run_id, retry_after_seconds=settings.retry_after_seconds * claim.attempts):
            result.dead_lettered_conversations += 1


def _front_answers(front) -> bool:
    """Whether Front answers a cheap call: tells an outage from conversations that fail on their own."""
    try:
        front.get_me()
    except (FrontAPIError, FrontBadRequestError):
        return False
    return True


def _load(conn, resource: Resource, run_id: str, claim: pending.Claim, fetched: _Fetched,
          result: ChildrenResult) -> None:
    """Load what was fetched, complete or not (records already received are never thrown away)."""
    result.fetched += len(fetched.records)
    if fetched.records:
        result.loaded.add(load_batch(conn, resource, fetched.records, run_id))


def _finish(conn, resource: Resource, run_id: str, settings: DrainSettings, claim: pending.Claim,
            fetched: _Fetched, result: ChildrenResult) -> None:
    """Settle a conversation whose fetch ended with an answer: complete, merged (301) or gone (404)."""
    conversation_id = claim.conversation_id
    error = fetched.error
    if isinstance(error, FrontConversationMerged):
        result.merged += 1
        soft_delete(conn, CONVERSATIONS, [conversation_id], run_id)
    elif isinstance(error, FrontNotFound):
        result.missing += 1
        log.warning("%s: conversation %s is gone (404); soft-deleted", resource.name, conversation_id)
        soft_delete(conn, CONVERSATIONS, [conversation_id], run_id)
    else:
        result.conversations += 1
    try:
        with conn.cursor() as cur:
            if isinstance(error, FrontConversationMerged):
                pending.enqueue(cur, resource.name, [error.surviving_id], run_id, settings.priority)
            else:  # a complete fetch, or none at all (404): what Front did not return is gone
                result.children_deleted += soft_delete_children_gone(cur, resource, conversation_id,
                                                                     record_ids(fetched.records), run_id)
            pending.done(cur, resource.name, [claim], settings.worker, run_id)
        conn.commit()
    except BaseException:
        conn.rollback()
        raise
