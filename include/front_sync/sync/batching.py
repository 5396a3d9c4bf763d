"""The shapes every sync flow shares: pages grouped into load batches (with a cap and an end), record ids, and
queueing a conversation's sub-resources."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sized
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Generic, TypeVar

from front_sync.resources import synced, transform
from front_sync.resources.model import PER_CONVERSATION
from front_sync.warehouse import known, pending

T = TypeVar("T", bound=Sized)  # a page: a list of records, or a tuple that holds one


@dataclass
class PageBatch(Generic[T]):
    """Consecutive pages loaded in one transaction; `capped` or `ended` says the flow stops after it."""

    pages: list[T]
    capped: bool = False
    ended: bool = False


def page_batches(
    pages: Iterable[T],
    batch_pages: int,
    *,
    count: Callable[[T], int] = len,
    cap: int | None = None,
    ends: Callable[[T], bool] | None = None,
) -> Iterator[PageBatch[T]]:
    """Group pages into batches of `batch_pages`; a batch closes early when `cap` records (by `count`) are reached
    or a page `ends` the reading, and then nothing more is read. The last batch may be short or empty of pages
    only when `pages` yields nothing."""
    batch: list[T] = []
    counted = 0
    for page in pages:
        batch.append(page)
        counted += count(page)
        ended = ends is not None and ends(page)
        capped = cap is not None and counted >= cap and not ended
        if len(batch) >= batch_pages or capped or ended:
            yield PageBatch(batch, capped, ended)
            if capped or ended:
                return
            batch = []
    if batch:
        yield PageBatch(batch)


def counting_after(since: Decimal | None, field: str) -> Callable[[list[Any]], int]:
    """A page counter for a cap: only records whose Front timestamp `field` is after `since` (the watermark)
    count, so the overlap re-read below the watermark never uses up the cap and a capped run always moves on.
    A record without a readable timestamp counts (the cap still ends the run)."""
    if since is None:
        return len

    def count(page: list[Any]) -> int:
        n = 0
        for record in page:
            try:
                stamp = transform.front_timestamp(record.get(field), field)
            except (transform.BadRecord, AttributeError):
                stamp = None
            n += stamp is None or stamp > since
        return n

    return count


def record_ids(records: Iterable[Any]) -> set[str]:
    """The string ids among records (a record without one is the loader's to dead-letter)."""
    return {r["id"] for r in records if isinstance(r, dict) and isinstance(r.get("id"), str)}


def queue_sub_resources(
    cur, conversation_ids: dict[str, set[str]] | set[str], run_id: str, priority: pending.Priority
) -> Counter:
    """Ask for the sub-resources of conversations (every per-conversation resource, or per resource when given a
    dict), in the caller's transaction; returns how many were queued per resource."""
    queued: Counter = Counter()
    for sub in synced(PER_CONVERSATION):
        ids = conversation_ids.get(sub.name, set()) if isinstance(conversation_ids, dict) else conversation_ids
        queued[sub.name] += pending.enqueue(cur, sub.name, ids, run_id, priority)
    return queued


def queue_changed_sub_resources(
    cur, conversations: list[Any], run_id: str, priority: pending.Priority, *, refetch: bool = False
) -> Counter:
    """Ask for the sub-resources of listed conversations that changed since their sub-resources were last synced
    (front.children_synced; all of them with `refetch`), in the caller's transaction; counts per resource."""
    stamps: dict[str, Any] = {}
    for record in conversations:
        if isinstance(record, dict) and isinstance(record.get("id"), str):
            try:
                stamps[record["id"]] = transform.front_timestamp(record.get("updated_at"), "updated_at")
            except transform.BadRecord:
                stamps[record["id"]] = None  # undated: cannot tell, so fetch
    queued: Counter = Counter()
    for sub in synced(PER_CONVERSATION):
        ids = set(stamps) if refetch else known.sub_resources_changed(cur, sub.name, stamps)
        queued[sub.name] += pending.enqueue(cur, sub.name, ids, run_id, priority)
    return queued
