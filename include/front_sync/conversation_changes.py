"""Which conversations changed since the watermark, by the Events API or by listing newest first.

Both strategies upsert the conversations they see and queue their messages and comments for the children
tasks; neither holds more than one batch of records in memory.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from front_sync import dead_letters, pending
from front_sync.events import ChangeSet
from front_sync.load import BatchResult, load_batch
from front_sync.progress import Progress
from front_sync.reconcile import soft_delete
from front_sync.resources import CONVERSATIONS
from front_sync.transform import BadRecord, front_timestamp

log = logging.getLogger(__name__)

EVENTS_PAGE_LIMIT = 15  # Front's maximum for /events
ALL_STATUSES = ("assigned", "unassigned", "archived", "trashed")  # without q[statuses] Front omits the trash


@dataclass
class ChangesResult:
    """What a changes run did: load counts, the cursor reached, and the follow-up work it queued."""

    loaded: BatchResult = field(default_factory=BatchResult)
    fetched: int = 0  # conversation records handed to the loader (the sync_logs identity's left side)
    cursor: Decimal | None = None
    capped: bool = False
    merged_away: int = 0
    queued_messages: int = 0
    queued_comments: int = 0
    events: int = 0


def _load_snapshots(conn, snapshots: list[dict[str, Any]], run_id: str, result: ChangesResult) -> None:
    if snapshots:
        result.fetched += len(snapshots)
        result.loaded.add(load_batch(conn, CONVERSATIONS, snapshots, run_id))


def _queue(conn, result: ChangesResult, messages: set[str], comments: set[str], run_id: str) -> None:
    with conn.cursor() as cur:
        result.queued_messages += pending.enqueue(cur, "messages", messages, run_id)
        result.queued_comments += pending.enqueue(cur, "comments", comments, run_id)
    conn.commit()


def from_events(front, conn, run_id: str, lower: Decimal, upper: Decimal | None, *, batch_pages: int,
                cap: int | None) -> ChangesResult:
    """Read /events oldest first from `lower`, load the newest conversation snapshot of each batch, queue work.

    Merges soft-delete the merged-away conversations and re-queue the survivor. The cursor is the largest
    emitted_at read, so the next run starts where this one stopped even when `cap` cut it short.
    """
    params: dict[str, Any] = {"q[after]": f"{lower:.3f}", "sort_by": "created_at", "sort_order": "asc",
                              "limit": EVENTS_PAGE_LIMIT}
    if upper is not None:
        params["q[before]"] = f"{upper:.3f}"
    result = ChangesResult()
    progress = Progress("events", front)
    batch = ChangeSet()
    pages = 0
    for page in front.iter_pages("/events", params):
        pages += 1
        batch.add_page(page)
        progress.add(pages=1, records=len(page))
        capped = cap is not None and result.events + batch.events >= cap
        if pages % batch_pages == 0 or capped:
            _flush_events(conn, batch, run_id, result)
            batch = ChangeSet(seen_events=batch.seen_events)
        if capped:
            result.capped = True
            log.warning("events: stopped at max_results=%d; the next run continues from %s", cap, result.cursor)
            break
    _flush_events(conn, batch, run_id, result)
    progress.report(final=True)
    return result


def _flush_events(conn, batch: ChangeSet, run_id: str, result: ChangesResult) -> None:
    """Load one batch of events' conversations, apply merges, queue children, move the cursor; idempotent."""
    _load_snapshots(conn, [c for i, c in batch.conversations.items() if i not in batch.merged_into], run_id,
                    result)
    if batch.merged_into:
        result.merged_away += soft_delete(conn, CONVERSATIONS, batch.merged_into, run_id)
    if batch.bad_events:
        with conn.cursor() as cur:
            dead_letters.write(cur, "events", batch.bad_events, run_id)
        conn.commit()
    _queue(conn, result, batch.need_messages, batch.need_comments, run_id)
    result.events += batch.events
    if batch.max_emitted_at is not None and (result.cursor is None or batch.max_emitted_at > result.cursor):
        result.cursor = batch.max_emitted_at


def _listing(front, lower: Decimal | None) -> Iterator[list[dict[str, Any]]]:
    """Pages of GET /conversations (every status, most recently bumped first) until a page is all older."""
    for page in front.iter_pages("/conversations", {"q[statuses]": list(ALL_STATUSES), "sort_by": "date",
                                                    "sort_order": "desc"}):
        yield page
        if lower is not None and page and all(_older(c, lower) for c in page):
            return


def _older(conversation: Any, lower: Decimal) -> bool:
    try:
        stamp = front_timestamp(conversation.get("updated_at"), "updated_at")
    except (BadRecord, AttributeError):
        return False  # a record we cannot date never ends the listing early
    return stamp is not None and stamp <= lower


def from_listing(front, conn, run_id: str, lower: Decimal | None, *, batch_pages: int,
                 cap: int | None) -> ChangesResult:
    """List conversations newest first and stop at the first page entirely older than `lower`.

    Every conversation updated after `lower` is loaded and its messages and comments queued (the listing cannot
    tell which changed). Bumps move conversations to the front, so nothing that bumps is missed.
    """
    result = ChangesResult()
    progress = Progress("conversations", front)
    batch: list[dict[str, Any]] = []
    pages = 0
    for page in _listing(front, lower):
        pages += 1
        fresh = [c for c in page if lower is None or not _older(c, lower)]
        batch.extend(fresh)
        progress.add(pages=1, records=len(page))
        result.events += len(fresh)
        capped = cap is not None and result.events >= cap
        if pages % batch_pages == 0 or capped:
            _flush_listing(conn, batch, run_id, result)
            batch = []
        if capped:
            result.capped = True
            log.warning("conversations: stopped at max_results=%d", cap)
            break
    _flush_listing(conn, batch, run_id, result)
    progress.report(final=True)
    return result


def _flush_listing(conn, batch: list[dict[str, Any]], run_id: str, result: ChangesResult) -> None:
    _load_snapshots(conn, batch, run_id, result)
    ids = {c["id"] for c in batch if isinstance(c, dict) and isinstance(c.get("id"), str)}
    _queue(conn, result, ids, ids, run_id)
    for conversation in batch:
        try:
            stamp = front_timestamp(conversation.get("updated_at"), "updated_at")
        except (BadRecord, AttributeError):
            continue
        if stamp is not None and (result.cursor is None or stamp > result.cursor):
            result.cursor = stamp
