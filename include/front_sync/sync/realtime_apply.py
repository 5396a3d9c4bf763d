"""Apply claimed webhooks (Front's event previews) through the same loader and version rule as the events path.

One round: fold the claimed previews into a change set (the events path's, sync/events.py), load each conversation's
newest preview as a partial view at its event's emitted_at, fetch each message or comment a preview names once (by id,
through the company budget) unless a preview carried it in full or the warehouse already holds a view at least as new as
the event. A round with several records to fetch first reads them from `/events` (15 a page, filtered to those records'
event types and the window of the events naming them): the simulator's events carry messages and comments in full, as
Front's spec types them; where Front's carry previews only, nothing is found and the records are fetched one by one, at
the cost of one page. Two commits per round, each with the webhooks it applies: the previews and every webhook that
needs no fetch first (a burst's rows do not wait for the company budget), then the fetched records. What a preview
cannot settle (an unknown event type, a merge, a record Front answers 404 for) is queued for the hourly run's complete
fetch, which also soft-deletes: a webhook alone never deletes. The hourly watermark, the applied-events table and the
children markers are left alone, so the hourly run still applies (and repairs) everything webhooks touched.
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
from front_sync.resources.transform import BadRecord, front_timestamp, has_paths
from front_sync.sync.batching import queue_sub_resources
from front_sync.sync.conversation_changes import EVENTS_PAGE_LIMIT
from front_sync.sync.events import ChangeSet, carried_record, conversation_id_of
from front_sync.warehouse import dead_letters, pending, webhook_claims
from front_sync.warehouse.load import BatchResult, load_batch
from front_sync.warehouse.prepare import View
from front_sync.warehouse.transaction import transaction
from front_sync.warehouse.webhook_claims import WebhookClaim

log = logging.getLogger(__name__)

_RECORD_ERRORS = (FrontAPIError, FrontBadRequestError, FrontUnsafeURLError)  # one record's fetch failed
GET_ONE = {"messages": "/messages/{id}", "comments": "/comments/{id}"}  # Front's "get one" of each child resource
LISTING_MIN = 3  # a round with fewer records to fetch fetches them one by one (a page costs as much as a record)
# Around the named events' window, in seconds: Front does not say whether q[after]/q[before] include their bound;
# a millisecond (their precision) keeps the named events inside either way, not the events of the previous round.
LISTING_MARGIN = Decimal("0.001")


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
    listed: int = 0  # records read from /events pages instead of fetched one by one
    read_events: bool = True  # False once /events carried previews only: the run's later rounds fetch by id
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
    carried: bool = False  # read from an /events page (a partial payload, as of its event), not fetched


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
    read_events: bool = True,
) -> RoundResult:
    """Apply one batch of claimed webhooks; every claim ends applied, ignored, dead-lettered, failed (retried) or
    handed back untried.

    Two commits: first the previews and carried records, with every webhook that needs no fetch (most of them:
    their rows reach the warehouse without waiting for the company budget); then the records read from /events or
    fetched, with the webhooks that named them. At most `max_fetches` API calls are made (pages and fetches, the
    oldest events first): the webhooks whose records wait are handed back for the next round, so a round stays
    short and webhooks arriving meanwhile are not held behind a long queue of fetches. `read_events` False: no
    /events pages (an earlier round found them carrying previews only)."""
    result = RoundResult(read_events=read_events)
    changes = WebhookChanges()
    kinds: dict[str, list[WebhookClaim]] = {"ok": [], "ignored": [], "bad": []}
    for claim in claims:
        kinds[changes.add_claim(claim)].append(claim)
    retry = partial(_retry, conn, run_id, worker, result, max_attempts, retry_after_seconds)
    wanted = _to_fetch(conn, changes, result)
    needing = _origins(changes, wanted)
    ready = [c for c in kinds["ok"] if c.id not in needing]
    if not _committed(
        claims, result, retry, lambda: _commit_previews(conn, changes, run_id, worker, result, ready, kinds)
    ):
        return result
    got, later, pages = _gather(front, changes, wanted, max_fetches, workers, result)
    waiting = _origins(changes, [(f.child, f.record_id) for f in got])
    deferred = _origins(changes, later) - waiting
    if deferred:
        webhook_claims.release(conn, [c for c in kinds["ok"] if c.id in deferred], worker)
        result.webhooks["deferred"] += len(deferred)
    fetched = [f for f in got if not f.carried]
    result.calls, result.listed = pages + len(fetched), len(got) - len(fetched)
    log.info(
        "webhooks: round of %d: %d record(s) to fetch, %d read from %d /events page(s), %d fetched by id, %d deferred",
        *(len(claims), len(wanted), result.listed, pages, len(fetched), len(deferred)),
    )
    failed_ids = _origins(changes, [(f.child, f.record_id) for f in fetched if f.error])
    named = [c for c in kinds["ok"] if c.id in waiting]
    applied = [c for c in named if c.id not in failed_ids]
    if _committed(named, result, retry, lambda: _commit_fetched(conn, got, run_id, worker, result, applied)):
        retry([c for c in named if c.id in failed_ids], "; ".join(sorted({f.error for f in fetched if f.error})))
    return result


def _gather(
    front,
    changes: WebhookChanges,
    wanted: list[tuple[str, str, str]],
    limit: int | None,
    workers: int,
    result: RoundResult,
) -> tuple[list[_Fetch], list[tuple[str, str, str]], int]:
    """The wanted records read from /events pages or fetched by id within `limit` calls (the oldest events first),
    those left for the next round, and the pages read."""
    listing = result.read_events and len(wanted) >= LISTING_MIN and (limit is None or limit > 1)  # a page and a fetch
    listed, pages, previews_only = _listed(front, changes, wanted, limit) if listing else ([], 0, False)
    if previews_only:
        result.read_events = False
        log.info("webhooks: /events names these records in previews only: this run fetches each by id")
    found = {(f.child, f.record_id) for f in listed}
    now, later = _split([w for w in wanted if w[:2] not in found], changes, _left(limit, pages, bool(found)))
    fetches = list(front.map_concurrent(lambda item: _fetch_one(front, *item), now, max_workers=workers))
    for f in fetches:
        if f.error:
            log.warning(
                "webhooks: GET %s %s failed (%s); its webhooks are tried again later", f.child, f.record_id, f.error
            )
    return [*listed, *fetches], later, pages


def _origins(changes: WebhookChanges, records) -> set[int]:
    """The ids of the webhooks that named any of `records` ((child, id, ...) tuples)."""
    return {i for child, record_id, *_ in records for i in changes.origin.get((child, record_id), ())}


def _left(limit: int | None, pages: int, found: bool) -> int | None:
    """The fetches a round may still make after reading `pages` of /events; one at least when the pages found
    nothing, so a round always makes progress."""
    if limit is None:
        return None
    return max(0 if found else 1, limit - pages)


def _listed(
    front, changes: WebhookChanges, wanted: list[tuple[str, str, str]], limit: int | None
) -> tuple[list[_Fetch], int, bool]:
    """The wanted records that /events carries in full, from an event at least as new as the newest webhook naming
    them (its emitted_at is their view), the pages read, and whether the events named them in previews only. Oldest
    first over the named events' window, filtered to the event types that name those records. Paging stops when all
    are found, at the window's end, after `limit` pages, or when a page would make the round cost more than one call
    beyond fetching each record: every page after the first must have been paid for by a record found."""
    kinds = {child for child, _, _ in wanted}
    times = [changes.named[child][record_id][0] for child, record_id, _ in wanted]
    params: dict[str, Any] = {
        "q[types]": sorted({t for child in kinds for t in get_resource(child).touched_by} - {MERGE_EVENT}),
        "q[after]": f"{min(times) - LISTING_MARGIN:.3f}",
        "q[before]": f"{max(times) + LISTING_MARGIN:.3f}",
        "sort_by": "created_at",
        "sort_order": "asc",
        "limit": EVENTS_PAGE_LIMIT,
    }
    missing = {(child, record_id) for child, record_id, _ in wanted}
    found: dict[tuple[str, str], _Fetch] = {}
    pages = previews = 0
    try:
        for page in front.iter_pages("/events", params):
            pages += 1
            for event in page:
                hit = _carried_hit(changes, kinds, event, missing)
                if hit is not None and hit.record is None:
                    previews += 1
                elif hit is not None:
                    missing.discard((hit.child, hit.record_id))
                    found[(hit.child, hit.record_id)] = hit
            if not missing or (limit is not None and pages >= limit) or pages > len(found):
                break
    except _RECORD_ERRORS as exc:  # the listing refused (a type Front does not know, a page loop): fetch by id
        pages += 1
        log.warning("webhooks: reading /events failed (%s); the records are fetched by id", type(exc).__name__)
    return list(found.values()), pages, previews > 0 and not found


def _carried_hit(changes: WebhookChanges, kinds: set[str], event: Any, missing: set[tuple[str, str]]) -> _Fetch | None:
    """The wanted record an event of the listing names, at least as new as the webhook that named it: with the record
    when the event carries it in full, without (record None) when it carries a preview."""
    if not isinstance(event, dict):
        return None
    conversation_id = conversation_id_of(event)
    try:
        emitted_at = front_timestamp(event.get("emitted_at"), "emitted_at")
    except BadRecord:
        return None
    if conversation_id is None or emitted_at is None:
        return None
    for child in kinds:
        record_id = _named_id(get_resource(child), event)
        if record_id is None or (child, record_id) not in missing or emitted_at < changes.named[child][record_id][0]:
            continue
        resource = get_resource(child)
        record = carried_record(resource, event, conversation_id)
        if record is None and has_paths(event["target"].get("data"), resource.event_payload_needs):
            continue  # in full, but not to be loaded from the event (a draft, moved since): its fetch settles it
        return _Fetch(child, record_id, conversation_id, record, emitted_at, carried=True)
    return None


def _split(
    wanted: list[tuple[str, str, str]], changes: WebhookChanges, limit: int | None
) -> tuple[list[tuple[str, str, str]], list[tuple[str, str, str]]]:
    """The fetches of this round (at most `limit`, the oldest events first) and those left for the next."""
    if limit is None or len(wanted) <= limit:
        return wanted, []
    ordered = sorted(wanted, key=lambda item: changes.named[item[0]][item[1]][0])
    return ordered[:limit], ordered[limit:]


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
    """Load the fetched records (and those read from /events), queue the conversations of those Front answered 404
    for (gone or moved: the hourly run's complete fetch settles it), and mark done the webhooks that named them: one
    transaction."""
    need: dict[str, set[str]] = {child.name: set() for child in synced(PER_CONVERSATION)}
    for f in fetches:
        if not f.error and f.record is None:
            result.missing += 1
            need[f.child].add(f.conversation_id)
    with transaction(conn):
        for child in synced(PER_CONVERSATION):
            for carried in (False, True):
                got = [f for f in fetches if f.child == child.name and f.record is not None and f.carried == carried]
                view = View(each=[f.view_at for f in got], partial=carried)
                _load(conn, child, [f.record for f in got], run_id, view, result)
        with conn.cursor() as cur:
            result.queued.update(queue_sub_resources(cur, need, run_id, pending.Priority.HOURLY))
            result.webhooks["applied"] += webhook_claims.finish(cur, applied, "applied", worker)


def _load(conn, resource: Resource, records: list[Any], run_id: str, view: View, result: RoundResult) -> None:
    """Load records into the round's open transaction (the caller commits)."""
    if records:
        result.fetched += len(records)
        result.loaded.add(load_batch(conn, resource, records, run_id, view=view, commit=False))
