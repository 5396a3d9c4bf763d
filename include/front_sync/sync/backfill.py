"""The initial load / re-load of conversations: every status, trash included, checkpointed after each batch.

Without filters it lists GET /conversations; with a time range or inboxes it uses the search endpoint (which
costs 40 % of the rate budget, so only when asked). Each batch's conversations commit together with the page
link to continue from, so a retried or killed task resumes there and never fetches a finished batch again.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from front_sync.resources import CONVERSATIONS
from front_sync.sync.batching import page_batches, queue_changed_sub_resources, record_ids
from front_sync.sync.conversation_changes import ALL_STATUSES
from front_sync.sync.progress import Progress
from front_sync.sync.window import epoch
from front_sync.warehouse import checkpoints, pending
from front_sync.warehouse.load import BatchResult, LoadHistory, load_batch
from front_sync.warehouse.prepare import View

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BackfillScope:
    """What to (re)load: a time range of last activity and/or some inboxes; empty means everything."""

    after: Decimal | None = None
    before: Decimal | None = None
    inbox_ids: tuple[str, ...] = ()

    @classmethod
    def from_params(cls, params: dict[str, Any]) -> BackfillScope:
        """From the DAG's Params (ISO dates or empty, a list of inbox ids); bad values name the param."""

        def moment(name: str) -> Decimal | None:
            value = params.get(name)
            if value in (None, ""):
                return None
            try:
                parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
            except ValueError:
                raise ValueError(f"Param {name!r} must be an ISO date or datetime, got {value!r}") from None
            if parsed.tzinfo is None:
                raise ValueError(f"Param {name!r} needs a time zone (e.g. 2026-01-01T00:00:00Z), got {value!r}")
            return epoch(parsed)

        scope = cls(moment("after"), moment("before"), tuple(params.get("inbox_ids") or ()))
        if scope.after is not None and scope.before is not None and scope.after >= scope.before:
            raise ValueError("Param 'after' must be earlier than 'before'")
        return scope

    def fingerprint(self) -> str:
        """Identifies the scope: a backfill of the same scope resumes an unfinished one, whichever run it was."""
        inboxes = ",".join(sorted(self.inbox_ids)) or "all"
        return f"after={self.after or '-'};before={self.before or '-'};inboxes={inboxes}"

    def segments(self) -> list[tuple[str, dict[str, Any]]]:
        """(path, params) listings that together cover the scope; one per inbox when inboxes are given."""
        if self.after is None and self.before is None and not self.inbox_ids:
            return [("/conversations", {"q[statuses]": list(ALL_STATUSES)})]
        terms = []
        if self.after is not None:
            terms.append(f"after:{int(self.after)}")
        if self.before is not None:
            terms.append(f"before:{int(self.before)}")
        inboxes = self.inbox_ids or (None,)
        segments: list[tuple[str, dict[str, Any]]] = []
        for inbox in inboxes:
            query = " ".join([*terms, f"inbox:{inbox}"] if inbox else terms)
            segments.append((f"/conversations/search/{quote(query, safe='')}", {}))
        return segments


@dataclass
class BackfillResult:
    loaded: BatchResult
    fetched: int
    batches: int
    resumed: bool
    fetched_now: int = 0  # by this try (the others were committed by earlier tries)
    queued: Counter = field(default_factory=Counter)  # conversations queued per sub-resource, by this try
    history: LoadHistory = field(default_factory=LoadHistory, repr=False)  # the loader's memory of this try's batches


def run(
    front,
    conn,
    key: checkpoints.CheckpointKey,
    scope: BackfillScope,
    run_id: str,
    *,
    batch_pages: int,
    refetch_children: bool = False,
    priority: pending.Priority = pending.Priority.BACKFILL,
    seen: set[str] | None = None,
) -> BackfillResult:
    """Load every conversation in scope and queue the messages and comments of those changed since their sub-resources
    were synced (all of them with `refetch_children`) at `priority`; resumes from `key`'s checkpoint. The ids
    listed by this try are added to `seen` (for a deletion reconciliation after a listing done in one try)."""
    saved = checkpoints.load(conn, key) or {}
    start_segment = int(saved.get("segment", 0))
    resume_url = saved.get("next")
    result = BackfillResult(BatchResult(), int(saved.get("fetched", 0)), int(saved.get("batches", 0)), bool(saved))
    if saved:
        log.info(
            "Backfill resumes at segment %d after %d batches (%d conversations)",
            start_segment,
            result.batches,
            result.fetched,
        )
    progress = Progress("backfill conversations", front)
    for index, (path, params) in enumerate(scope.segments()):
        if index < start_segment:
            continue
        link = resume_url if index == start_segment else None
        pages = front.iter_pages_resumable(path, params, resume_url=link)
        view = View.requested_now()  # conversations carry updated_at: only the fallback for one without
        for batch in page_batches(pages, batch_pages, count=lambda p: len(p[0])):
            records = [record for page, _ in batch.pages for record in page]
            if seen is not None:
                seen.update(record_ids(records))
            progress.add(pages=len(batch.pages), records=len(records))
            next_url = batch.pages[-1][1]
            cursor = {"segment": index, "next": next_url} if next_url else {"segment": index + 1, "next": None}
            _commit_batch(conn, key, records, cursor, run_id, result, (priority, refetch_children), view)
    progress.report(final=True)
    return result


def _commit_batch(
    conn, key, batch, cursor, run_id, result: BackfillResult, queueing: tuple[pending.Priority, bool], view: View
) -> None:
    """Queue the batch's changed sub-resources, then load it with its checkpoint in one transaction."""
    priority, refetch_children = queueing
    with conn.cursor() as cur:
        result.queued.update(queue_changed_sub_resources(cur, batch, run_id, priority, refetch=refetch_children))
    result.fetched += len(batch)
    result.fetched_now += len(batch)
    result.batches += 1
    cursor = {**cursor, "fetched": result.fetched, "batches": result.batches}
    result.loaded.add(
        load_batch(conn, CONVERSATIONS, batch, run_id, view=view, checkpoint=(key, cursor), history=result.history)
    )
