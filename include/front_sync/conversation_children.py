"""Fetch the messages or comments of queued conversations, a few at a time in parallel, and load them."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from front_sync import pending
from front_sync.hooks.front import FrontConversationMerged, FrontNotFound
from front_sync.load import BatchResult, load_batch
from front_sync.progress import Progress
from front_sync.reconcile import soft_delete
from front_sync.resources import CONVERSATIONS, Resource

log = logging.getLogger(__name__)


@dataclass
class ChildrenResult:
    """Counts of one drain: records loaded, conversations done, merged or missing, and whether a cap stopped it."""

    loaded: BatchResult = field(default_factory=BatchResult)
    fetched: int = 0
    conversations: int = 0
    merged: int = 0
    missing: int = 0
    capped: bool = False


def _fetch(front, resource: Resource, conversation_id: str) -> tuple[str, Any]:
    """All records of one conversation (a list), or the merge / not-found outcome; runs in a worker thread."""
    path = resource.path.format(parent_id=conversation_id)
    try:
        records: list[dict[str, Any]] = []
        for page in front.iter_pages(path, {"sort_by": "created_at", "sort_order": "asc"}
                                     if resource.name == "messages" else None):
            records.extend(page)
        return conversation_id, records
    except FrontConversationMerged as merged:
        return conversation_id, merged
    except FrontNotFound as missing:
        return conversation_id, missing


def drain(front, conn, resource: Resource, run_id: str, *, workers: int, cap: int | None) -> ChildrenResult:
    """Work through the sync_pending queue for `resource` until it is empty (or `cap` records were fetched).

    A conversation leaves the queue only after its records are committed, so a killed task resumes where it
    stopped. Merged conversations are soft-deleted and their survivor queued; a 404 is logged and dropped.
    """
    result = ChildrenResult()
    progress = Progress(resource.name, front, total=None)
    chunk = max(workers * 4, 8)
    while True:
        ids = pending.take(conn, resource.name, chunk)
        if not ids:
            break
        for conversation_id, outcome in front.map_concurrent(
                lambda cid: _fetch(front, resource, cid), ids, max_workers=workers):
            _apply(conn, resource, run_id, conversation_id, outcome, result)
            progress.add(records=len(outcome) if isinstance(outcome, list) else 0)
        if cap is not None and result.fetched >= cap:
            result.capped = pending.count(conn, resource.name) > 0
            if result.capped:
                log.warning("%s: stopped at max_results=%d; queued conversations wait for the next run",
                            resource.name, cap)
            break
    progress.report(final=True)
    return result


def _apply(conn, resource: Resource, run_id: str, conversation_id: str, outcome: Any,
           result: ChildrenResult) -> None:
    if isinstance(outcome, FrontConversationMerged):
        result.merged += 1
        soft_delete(conn, CONVERSATIONS, [conversation_id], run_id)
        with conn.cursor() as cur:
            pending.enqueue(cur, resource.name, [outcome.surviving_id], run_id)
            pending.done(cur, resource.name, [conversation_id])
        conn.commit()
        return
    if isinstance(outcome, FrontNotFound):
        result.missing += 1
        log.warning("%s: conversation %s is gone (404); dropped from the queue", resource.name, conversation_id)
    else:
        result.fetched += len(outcome)
        if outcome:
            result.loaded.add(load_batch(conn, resource, outcome, run_id))
        result.conversations += 1
    with conn.cursor() as cur:
        pending.done(cur, resource.name, [conversation_id])
    conn.commit()
