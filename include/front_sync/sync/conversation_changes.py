"""Which conversations changed since the watermark, by the Events API or by listing newest first.

Both strategies upsert the conversations they see and queue their messages and comments for the sub-resources
tasks; neither holds more than one batch of records in memory.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from front_sync.resources import CONVERSATIONS, synced
from front_sync.resources.model import PER_CONVERSATION
from front_sync.resources.transform import BadRecord, front_timestamp, latest
from front_sync.sync.batching import (
    counting_after,
    page_batches,
    queue_changed_sub_resources,
    queue_sub_resources,
    record_ids,
)
from front_sync.sync.events import ChangeSet
from front_sync.sync.progress import Progress
from front_sync.sync.window import epoch
from front_sync.warehouse import checkpoints, dead_letters, known, pending
from front_sync.warehouse.load import BatchResult, load_batch
from front_sync.warehouse.prepare import View
from front_sync.warehouse.reconcile import database_clock, soft_delete

log = logging.getLogger(__name__)

EVENTS_PAGE_LIMIT = 15  # Front's maximum for /events
ALL_STATUSES = ("assigned", "unassigned", "archived", "trashed")  # without q[statuses] Front omits the trash
APPLIED_EVENTS_KEPT_SECONDS = Decimal(86_400)  # applied event ids are kept a day below the oldest window read


@dataclass
class ChangesResult:
    """What a changes run did: load counts, the cursor reached, and the follow-up work it queued."""

    loaded: BatchResult = field(default_factory=BatchResult)
    fetched: int = 0  # conversation records handed to the loader (the sync_logs identity's left side)
    cursor: Decimal | None = None
    capped: bool = False
    merged_away: int = 0
    queued: Counter = field(default_factory=Counter)  # conversations queued per sub-resource
    carried: Counter = field(default_factory=Counter)  # sub-resource records loaded from event payloads, per resource
    carried_loaded: BatchResult = field(default_factory=BatchResult)
    events: int = 0
    already_applied: int = 0  # events read again (the overlap) that an earlier run or batch applied


def _load_snapshots(conn, snapshots: list[dict[str, Any]], run_id: str, result: ChangesResult, view: View) -> None:
    if snapshots:
        result.fetched += len(snapshots)
        result.loaded.add(load_batch(conn, CONVERSATIONS, snapshots, run_id, view=view))


def _move_cursor(result: ChangesResult, candidate: Decimal | None, on_cursor: Callable[[Decimal], None] | None) -> None:
    """Record the cursor reached by committed work and hand it on (the task advances the watermark with it)."""
    result.cursor = latest(result.cursor, candidate)
    if on_cursor is not None and result.cursor is not None:
        on_cursor(result.cursor)


def from_events(
    front,
    conn,
    run_id: str,
    lower: Decimal,
    upper: Decimal | None,
    *,
    batch_pages: int,
    cap: int | None,
    on_cursor: Callable[[Decimal], None] | None = None,
    since: Decimal | None = None,
    skip_applied: bool = True,
) -> ChangesResult:
    """Read /events oldest first from `lower`, load the newest conversation snapshot of each batch and the messages
    and comments the events carry in full, and queue a fetch only for what no event carried.

    Merges soft-delete the merged-away conversations and re-queue the survivor. The cursor is the largest
    emitted_at read; `on_cursor` gets it after every committed batch (events come oldest first), so a backlog
    larger than one run drains across runs and a killed run resumes where its last batch committed. Only events
    after `since` (the watermark; `lower` is it minus the overlap) count toward `cap`. Events an earlier run
    applied are skipped (`skip_applied`; an Airflow backfill run re-applies its interval on purpose).
    """
    params: dict[str, Any] = {
        "q[after]": f"{lower:.3f}",
        "sort_by": "created_at",
        "sort_order": "asc",
        "limit": EVENTS_PAGE_LIMIT,
    }
    if upper is not None:
        params["q[before]"] = f"{upper:.3f}"
    known.purge_applied(conn, lower - APPLIED_EVENTS_KEPT_SECONDS)
    result = ChangesResult()
    progress = Progress("events", front)
    seen: set[str] = set()
    for batch in page_batches(
        front.iter_pages("/events", params), batch_pages, cap=cap, count=counting_after(since, "emitted_at")
    ):
        changes = ChangeSet(seen_events=seen)
        for page in batch.pages:
            applied = known.applied_events(conn, record_ids(page)) if skip_applied else set()
            changes.add_page(page, applied)
            progress.add(pages=1, records=len(page))
        _flush_events(conn, changes, run_id, result, on_cursor, born_after=lower)
        if batch.capped:
            result.capped = True
            log.warning("events: stopped at max_results=%d; the next run continues from %s", cap, result.cursor)
    progress.report(final=True)
    return result


def replay_event(conn, event: Any, run_id: str) -> tuple[str | None, Counter]:
    """Apply one dead-lettered event again through the events path (the same loads, merges, queueing and version
    rule as the events sync; issue 19 item 7). Returns the error when the event is still bad (nothing written),
    else None and its outcome for sync_logs: updated, or unchanged when a run has applied it since."""
    changes = ChangeSet()
    event_id = event.get("id") if isinstance(event, dict) else None
    changes.add_page([event], known.applied_events(conn, [event_id]) if isinstance(event_id, str) else set())
    if changes.bad_events:
        return changes.bad_events[0][1], Counter()
    result = ChangesResult()
    _flush_events(conn, changes, run_id, result, None, born_after=Decimal("Infinity"))
    return None, Counter({"unchanged" if result.already_applied else "updated": 1})


def _flush_events(
    conn,
    batch: ChangeSet,
    run_id: str,
    result: ChangesResult,
    on_cursor: Callable[[Decimal], None] | None,
    born_after: Decimal,
) -> None:
    """Load one batch of events' conversations and carried sub-resources, apply merges, queue what must be fetched,
    remember the events, move the cursor; idempotent (a re-run of the batch changes nothing)."""
    snapshots, view = batch.snapshots()
    _load_snapshots(conn, snapshots, run_id, result, view)
    for sub in synced(PER_CONVERSATION):
        records = batch.carried_records(sub.name)
        if records:
            result.carried[sub.name] += len(records)
            result.carried_loaded.add(load_batch(conn, sub, records, run_id, view=batch.carried_view(sub.name)))
    if batch.merged_into:  # as of the batch's newest event: the merges are in it
        result.merged_away += soft_delete(conn, CONVERSATIONS, batch.merged_into, run_id, view_at=batch.max_emitted_at)
    if batch.bad_events:
        with conn.cursor() as cur:
            dead_letters.write(cur, "events", batch.bad_events, run_id)
        conn.commit()
        # Counted on the conversations row: a bad event is a record fetched and not loaded.
        result.fetched += len(batch.bad_events)
        result.loaded.counts["dead_lettered"] += len(batch.bad_events)
    with conn.cursor() as cur:
        result.queued.update(queue_sub_resources(cur, batch.need, run_id, pending.Priority.HOURLY))
        _mark_sub_resources_current(cur, batch, run_id, born_after)
        known.record_merges(cur, batch.merged_into, run_id)
        known.record_applied(cur, batch.applied, run_id)
    conn.commit()
    result.events += batch.events
    result.already_applied += batch.duplicates
    _move_cursor(result, batch.max_emitted_at, on_cursor)


def _mark_sub_resources_current(cur, batch: ChangeSet, run_id: str, born_after: Decimal) -> None:
    """Conversations whose sub-resource changes in this batch were all carried: their sub-resources are current as
    of the snapshot (a backfill or re-listing will not fetch them again)."""
    stamps = {i: _stamp(c, "updated_at") for i, c in batch.conversations.items() if i not in batch.merged_into}
    born = {i for i, c in batch.conversations.items() if (_stamp(c, "created_at") or Decimal(-1)) > born_after}
    for sub in synced(PER_CONVERSATION):
        current = {i: s for i, s in stamps.items() if i not in batch.need[sub.name]}
        known.advance_sub_resources(cur, sub.name, current, born, run_id)


def _older(conversation: Any, lower: Decimal) -> bool:
    stamp = _updated_at(conversation)
    return stamp is not None and stamp <= lower  # a record we cannot date never ends the listing early


def _stamp(record: Any, name: str) -> Decimal | None:
    """A record's Front timestamp `name`, or None when it is missing or unreadable."""
    try:
        return front_timestamp(record.get(name), name)
    except (BadRecord, AttributeError):
        return None


def _updated_at(conversation: Any) -> Decimal | None:
    return _stamp(conversation, "updated_at")


def _fresh_pages(pages, lower: Decimal | None):
    """Each page as (its conversations updated after `lower`, Front's next link, whether the pass ends there:
    the last page, or a page entirely older than `lower`)."""
    for page, next_url in pages:
        fresh = [c for c in page if lower is None or not _older(c, lower)]
        yield fresh, next_url, next_url is None or (lower is not None and bool(page) and not fresh)


def from_listing(
    front,
    conn,
    run_id: str,
    lower: Decimal | None,
    *,
    batch_pages: int,
    cap: int | None,
    key: checkpoints.CheckpointKey,
    on_cursor: Callable[[Decimal], None] | None = None,
) -> ChangesResult:
    """List conversations newest first and stop at the first page entirely older than `lower`.

    Every conversation updated after `lower` is loaded and its messages and comments queued (the listing cannot
    tell which changed). Bumps move conversations to the front, so nothing that bumps is missed. The listing
    runs newest first, so the cursor may move only once it has reached `lower`: a pass cut short by `cap` or a
    failure saves its page link (under `key`, with each batch) and the next run goes on from there before the
    cursor moves to the newest update the pass saw, but never past the moment the pass began (issue 19 item 4):
    a conversation bumped after that may have jumped above the saved page link, and the next pass must list it.
    """
    lower, high, began, resume_url = _listing_pass(conn, key, lower)
    result = ChangesResult()
    progress = Progress("conversations", front)
    view = View.requested_now()  # conversations carry updated_at: this is only the fallback for one without
    pages = front.iter_pages_resumable(
        "/conversations",
        {"q[statuses]": list(ALL_STATUSES), "sort_by": "date", "sort_order": "desc"},
        resume_url=resume_url,
    )
    for batch in page_batches(
        _fresh_pages(pages, lower), batch_pages, count=lambda p: len(p[0]), cap=cap, ends=lambda p: p[2]
    ):
        fresh = [c for page in batch.pages for c in page[0]]
        high = latest(high, *map(_updated_at, fresh))
        progress.add(pages=len(batch.pages), records=len(fresh))
        result.events += len(fresh)
        position = None if batch.ended else _listing_position(batch.pages[-1][1], high, lower, began)
        _flush_listing(conn, fresh, run_id, result, key, position, view)
        if batch.ended:
            checkpoints.clear(conn, key)
            _move_cursor(result, None if high is None else min(high, began), on_cursor)
        elif batch.capped:
            result.capped = True
            log.warning(
                "conversations: stopped at max_results=%d; the next run continues this listing pass, "
                "the watermark moves when it reaches %s",
                cap,
                lower,
            )
    progress.report(final=True)
    return result


def _listing_pass(
    conn, key: checkpoints.CheckpointKey, lower: Decimal | None
) -> tuple[Decimal | None, Decimal | None, Decimal, str | None]:
    """(lower, high, began, resume url) of the listing pass to run: an unfinished one saved under `key`, else a
    new one down to `lower` beginning now (the database's clock)."""
    saved = checkpoints.load(conn, key) or {}
    high, began, resume_url = None, None, None
    if saved:
        lower, high, began = (None if saved.get(k) is None else Decimal(saved[k]) for k in ("lower", "high", "began"))
        resume_url = saved.get("next")
        log.info("conversations: resuming an unfinished listing pass (down to %s)", lower)
    return lower, high, epoch(database_clock(conn)) if began is None else began, resume_url


def _listing_position(next_url: str | None, high, lower, began: Decimal) -> dict[str, str | None]:
    """What a checkpoint saves of an unfinished listing pass, to go on from its next page."""
    return {
        "next": next_url,
        "high": None if high is None else str(high),
        "lower": None if lower is None else str(lower),
        "began": str(began),
    }


def _flush_listing(
    conn,
    batch: list[dict[str, Any]],
    run_id: str,
    result: ChangesResult,
    key: checkpoints.CheckpointKey,
    position: dict[str, Any] | None,
    view: View,
) -> None:
    """Queue the batch's sub-resources, then load it with the listing's position in one transaction."""
    with conn.cursor() as cur:
        result.queued.update(queue_changed_sub_resources(cur, batch, run_id, pending.Priority.HOURLY))
    result.fetched += len(batch)
    result.loaded.add(
        load_batch(
            conn, CONVERSATIONS, batch, run_id, view=view, checkpoint=(key, position) if position is not None else None
        )
    )
