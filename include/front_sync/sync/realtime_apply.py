"""Apply claimed webhooks (Front's event previews) through the same loader and version rule as the events path.

One round: fold the claimed previews into a change set (the events path's, sync/events.py), load each conversation's
newest preview as a partial view at its event's emitted_at, fetch each message or comment a preview names once (by
id, through the company budget) unless a preview carried it in full or the warehouse already holds a view at least
as new as the event. Two commits per round, each with the webhooks it applies: the previews and every webhook that
needs no fetch first (a burst's rows do not wait for the company budget), then the fetched records. What a preview
cannot settle (an unknown event type, a merge, a record Front answers 404 for) is queued for the hourly run's
complete fetch, which also soft-deletes: a webhook alone never deletes. The hourly watermark, the applied-events
table and the children markers are left alone, so the hourly run still applies (and repairs) everything webhooks
touched.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field, replace
from decimal import Decimal
from functools import partial
from typing import Any

import psycopg

from front_sync.hooks.errors import FrontBadRequestError, FrontLooksDownError, FrontUnsafeURLError
from front_sync.hooks.front import FrontAPIError, FrontNotFound
from front_sync.resources import CONVERSATIONS, MERGE_EVENT, Resource, get_resource, synced
from front_sync.resources.model import PER_CONVERSATION
from front_sync.sync.batching import queue_sub_resources
from front_sync.sync.events import ChangeSet, carried_record
from front_sync.warehouse import dead_letters, pending, webhook_claims
from front_sync.warehouse.load import BatchResult, load_batch
from front_sync.warehouse.prepare import View
from front_sync.warehouse.transaction import transaction
from front_sync.warehouse.webhook_claims import WebhookClaim

log = logging.getLogger(__name__)

_RECORD_ERRORS = (FrontAPIError, FrontBadRequestError, FrontUnsafeURLError)  # one record's fetch failed
GET_ONE = {"messages": "/messages/{id}", "comments": "/comments/{id}"}  # Front's "get one" of each child resource


def _named_id(child: Resource, event: dict[str, Any]) -> str | None:
    """The id of the child record an event's target names (a preview or a full record), if it is one."""
    target = event.get("target")
    if not isinstance(target, dict) or (target.get("_meta") or {}).get("type") != child.event_target:
        return None
    data = target.get("data")
    record_id = data.get("id") if isinstance(data, dict) else None
    return record_id if isinstance(record_id, str) else None


def event_of(stored: Any) -> Any:
    """The event preview of a stored webhook: the row's payload, or the envelope's `payload` if the whole envelope
    ({"type", "authorization", "payload"}) was stored."""
    if isinstance(stored, dict) and "authorization" in stored and isinstance(stored.get("payload"), dict):
        return stored["payload"]
    return stored


@dataclass
class WebhookChanges(ChangeSet):
    """The events path's change set, for previews: a message or comment named only by a preview is fetched by its
    id (once, for the newest event naming it), not as its whole conversation; `origin` says which webhooks named it."""

    named: dict[str, dict[str, tuple[Decimal, str]]] = field(
        default_factory=lambda: {child.name: {} for child in synced(PER_CONVERSATION)}
    )
    origin: dict[tuple[str, str], set[int]] = field(default_factory=dict)
    current: int | None = None

    def add_claim(self, claim: WebhookClaim) -> str:
        """Fold one claimed webhook in; returns 'bad' (no usable event), 'ignored' (about no conversation) or 'ok'."""
        self.current, bad_before = claim.id, len(self.bad_events)
        event = event_of(claim.payload)
        self.add_page([event])
        if len(self.bad_events) > bad_before:
            return "bad"
        conversation = event.get("conversation")
        return "ok" if isinstance(conversation, dict) and isinstance(conversation.get("id"), str) else "ignored"

    def _touch(self, child: Resource, event: dict[str, Any], conversation_id: str, emitted_at: Decimal) -> None:
        record_id = _named_id(child, event)
        if (
            record_id is None
            or event.get("type") == MERGE_EVENT
            or carried_record(child, event, conversation_id) is not None
        ):
            super()._touch(child, event, conversation_id, emitted_at)  # carried in full, or the conversation's fetch
            return
        kept = self.named[child.name].get(record_id)
        if kept is None or emitted_at > kept[0]:
            self.named[child.name][record_id] = (emitted_at, conversation_id)
        if self.current is not None:  # set by add_claim before any event of that claim is folded in
            self.origin.setdefault((child.name, record_id), set()).add(self.current)


@dataclass
class RoundResult:
    """What one round did: rows loaded, API fetches and their outcomes, webhooks by outcome."""

    loaded: BatchResult = field(default_factory=BatchResult)
    fetched: int = 0  # records handed to the loader (previews, carried records and fetched ones)
    calls: int = 0
    missing: int = 0  # 404: queued for the hourly run's complete fetch
    skipped_fetches: int = 0  # named records already stored at least as new, or carried in full
    queued: Counter = field(default_factory=Counter)
    webhooks: Counter = field(default_factory=Counter)  # by outcome: applied, ignored, dead_lettered, failed


@dataclass
class _Fetch:
    """One named record's fetch: the record (None on 404), the request's start (its view), the error if it failed."""

    child: str
    record_id: str
    conversation_id: str
    record: dict[str, Any] | None = None
    view_at: Decimal | None = None
    error: str | None = None


def _fetch_one(front, child: str, record_id: str, conversation_id: str) -> _Fetch:
    """GET one message or comment; runs in a worker thread. Front being down or refusing us fails the round."""
    view_at = View.requested_now().at
    try:
        return _Fetch(
            child, record_id, conversation_id, front.request_json(GET_ONE[child].format(id=record_id)), view_at
        )
    except FrontNotFound:
        return _Fetch(child, record_id, conversation_id, view_at=view_at)
    except FrontLooksDownError:
        raise
    except _RECORD_ERRORS as exc:
        return _Fetch(child, record_id, conversation_id, view_at=view_at, error=f"{type(exc).__name__}: {exc}")


def _to_fetch(conn, changes: WebhookChanges, result: RoundResult) -> list[tuple[str, str, str]]:
    """(child, id, conversation) of the named records to fetch: not carried in full by a webhook as new, not stored
    with a view at least as new as the newest event naming them."""
    wanted = []
    with conn.cursor() as cur:
        for child, named in changes.named.items():
            stored = webhook_claims.stored_views(cur, get_resource(child), named)
            for record_id, (emitted_at, conversation_id) in sorted(named.items()):
                seen = [changes.carried[child].get(record_id, (None,))[0], stored.get(record_id)]
                if any(at is not None and at >= emitted_at for at in seen):
                    result.skipped_fetches += 1
                    continue
                wanted.append((child, record_id, conversation_id))
    conn.commit()
    return wanted


def apply_round(
    front,
    conn,
    claims: list[WebhookClaim],
    run_id: str,
    worker: str,
    *,
    max_attempts: int,
    retry_after_seconds: float,
    workers: int = 4,
    max_fetches: int | None = None,
) -> RoundResult:
    """Apply one batch of claimed webhooks; every claim ends applied, ignored, dead-lettered, failed (retried) or
    handed back untried.

    Two commits: first the previews and carried records, with every webhook that needs no fetch (most of them:
    their rows reach the warehouse without waiting for the company budget); then the fetched records, with the
    webhooks that named them. At most `max_fetches` records are fetched (the oldest events first): the webhooks
    whose records wait are handed back for the next round, so a round stays short and webhooks arriving meanwhile
    are not held behind a long queue of fetches."""
    result = RoundResult()
    changes = WebhookChanges()
    kinds: dict[str, list[WebhookClaim]] = {"ok": [], "ignored": [], "bad": []}
    for claim in claims:
        kinds[changes.add_claim(claim)].append(claim)
    retry = partial(_retry, conn, run_id, worker, result, max_attempts, retry_after_seconds)
    wanted, later = _split(_to_fetch(conn, changes, result), changes, max_fetches)
    waiting = {i for child, record_id, _ in wanted for i in changes.origin.get((child, record_id), ())}
    deferred = {i for child, record_id, _ in later for i in changes.origin.get((child, record_id), ())} - waiting
    ready = [c for c in kinds["ok"] if c.id not in waiting and c.id not in deferred]
    if not _committed(
        claims, result, retry, lambda: _commit_previews(conn, changes, run_id, worker, result, ready, kinds)
    ):
        return result
    if deferred:
        webhook_claims.release(conn, [c for c in kinds["ok"] if c.id in deferred], worker)
        result.webhooks["deferred"] += len(deferred)
    fetches = list(front.map_concurrent(lambda item: _fetch_one(front, *item), wanted, max_workers=workers))
    result.calls = len(fetches)
    failed_ids = {i for f in fetches if f.error for i in changes.origin.get((f.child, f.record_id), ())}
    for f in fetches:
        if f.error:
            log.warning(
                "webhooks: GET %s %s failed (%s); its webhooks are tried again later", f.child, f.record_id, f.error
            )
    named = [c for c in kinds["ok"] if c.id in waiting]
    applied = [c for c in named if c.id not in failed_ids]
    if _committed(named, result, retry, lambda: _commit_fetched(conn, fetches, run_id, worker, result, applied)):
        retry([c for c in named if c.id in failed_ids], "; ".join(sorted({f.error for f in fetches if f.error})))
    return result


def _split(
    wanted: list[tuple[str, str, str]], changes: WebhookChanges, limit: int | None
) -> tuple[list[tuple[str, str, str]], list[tuple[str, str, str]]]:
    """The fetches of this round (at most `limit`, the oldest events first) and those left for the next."""
    if limit is None or len(wanted) <= limit:
        return wanted, []
    ordered = sorted(wanted, key=lambda item: changes.named[item[0]][item[1]][0])
    return ordered[: max(1, limit)], ordered[max(1, limit) :]


def _committed(claims: list[WebhookClaim], result: RoundResult, retry, commit) -> bool:
    """Run one of the round's commits; when its load fails, nothing of it stays, each of its webhooks counts a
    failed try (`retry`: issue 19 item 6, retried, then dead-lettered) and False is returned."""
    before = (result.fetched, result.loaded, Counter(result.webhooks), Counter(result.queued))
    result.loaded = BatchResult()
    result.loaded.add(before[1])
    try:
        commit()
        return True
    except Exception as exc:  # noqa: BLE001 - a load that fails is a failed try of its webhooks
        log.error(
            "webhooks: loading %d webhook(s) failed (%s); they are tried again later", len(claims), type(exc).__name__
        )
        result.fetched, result.loaded, result.webhooks, result.queued = before
        retry(claims, _describe(exc))
        return False


def _retry(
    conn,
    run_id: str,
    worker: str,
    result: RoundResult,
    max_attempts: int,
    retry_after_seconds: float,
    claims: list[WebhookClaim],
    error: str,
) -> None:
    """Count a failed try of each claim (dead-lettered after max_attempts: a dead letter holds the event)."""
    if not claims:
        return
    retried = [replace(c, payload=event_of(c.payload)) for c in claims]
    gave_up = webhook_claims.failed(
        conn, retried, worker, error, max_attempts=max_attempts, run_id=run_id, retry_after_seconds=retry_after_seconds
    )
    result.webhooks.update(failed=len(retried) - gave_up, dead_lettered=gave_up)


def _describe(exc: Exception) -> str:
    """An error for logs and last_error without row values (a database error's DETAIL line repeats them)."""
    primary = exc.diag.message_primary if isinstance(exc, psycopg.Error) else None
    return f"{type(exc).__name__}: {primary or exc}"


def _commit_previews(
    conn,
    changes: WebhookChanges,
    run_id: str,
    worker: str,
    result: RoundResult,
    ready: list[WebhookClaim],
    kinds: dict[str, list[WebhookClaim]],
) -> None:
    """Load the previews and carried records, queue what only a complete fetch settles, and mark done the webhooks
    that need no fetch: one transaction."""
    with transaction(conn):
        snapshots, view = changes.snapshots()
        _load(conn, CONVERSATIONS, snapshots, run_id, view, result)
        for child in synced(PER_CONVERSATION):
            _load(conn, child, changes.carried_records(child.name), run_id, changes.carried_view(child.name), result)
        with conn.cursor() as cur:
            result.queued.update(queue_sub_resources(cur, changes.need, run_id, pending.Priority.HOURLY))
            bad = [(event, f"webhook payload is not a usable event: {error}") for event, error in changes.bad_events]
            dead_letters.write(cur, "events", bad, run_id)
            result.webhooks["applied"] += webhook_claims.finish(cur, ready, "applied", worker)
            result.webhooks["ignored"] += webhook_claims.finish(cur, kinds["ignored"], "ignored", worker)
            result.webhooks["dead_lettered"] += webhook_claims.finish(
                cur, kinds["bad"], "dead_lettered", worker, "not a usable event"
            )


def _commit_fetched(
    conn, fetches: list[_Fetch], run_id: str, worker: str, result: RoundResult, applied: list[WebhookClaim]
) -> None:
    """Load the fetched records, queue the conversations of those Front answered 404 for (gone or moved: the hourly
    run's complete fetch settles it), and mark done the webhooks that named them: one transaction."""
    need: dict[str, set[str]] = {child.name: set() for child in synced(PER_CONVERSATION)}
    for f in fetches:
        if not f.error and f.record is None:
            result.missing += 1
            need[f.child].add(f.conversation_id)
    with transaction(conn):
        for child in synced(PER_CONVERSATION):
            got = [f for f in fetches if f.child == child.name and f.record is not None]
            _load(conn, child, [f.record for f in got], run_id, View(each=[f.view_at for f in got]), result)
        with conn.cursor() as cur:
            result.queued.update(queue_sub_resources(cur, need, run_id, pending.Priority.HOURLY))
            result.webhooks["applied"] += webhook_claims.finish(cur, applied, "applied", worker)


def _load(conn, resource: Resource, records: list[Any], run_id: str, view: View, result: RoundResult) -> None:
    """Load records into the round's open transaction (the caller commits)."""
    if records:
        result.fetched += len(records)
        result.loaded.add(load_batch(conn, resource, records, run_id, view=view, commit=False))
