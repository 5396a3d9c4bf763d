"""Sample a Front account with a few read-only calls: how many records each listing holds (counted, Front's
``_total``, or extrapolated), pages per conversation, recent activity, and whether the token may read each
endpoint the sync uses (a 401/403 is noted with the scope it needs, not raised).

Every call goes through FrontHook, so the rate budget, retries and the token host check apply as in a sync.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from front_sync.hooks.errors import FrontAuthError, FrontConversationMerged, FrontNotFound
from front_sync.hooks.front import FrontHook
from front_sync.hooks.oauth import FrontOAuthReconnect
from front_sync.hooks.scopes import required_scope
from front_sync.resources import CONTACTS, synced
from front_sync.resources.model import LISTED, PER_CONVERSATION
from front_sync.sync.events import ChangeSet

EVENTS_PAGE_LIMIT = 15  # Front's maximum for /events


@dataclass(frozen=True)
class SampleLimits:
    """How much the estimate may read: pages per listing before it extrapolates, conversations whose sub-resources
    it reads, and the span of recent activity it measures (a typical hour is that span's average)."""

    contact_pages: int = 10
    event_pages: int = 12
    directory_pages: int = 5
    conversations: int = 8
    activity_hours: float = 24.0


@dataclass
class Count:
    """A number of records and how it was obtained (``exact``: counted or Front's total; else extrapolated)."""

    value: float
    exact: bool
    how: str


@dataclass
class AccountSample:
    """What the sample learned; ``scope_errors`` maps an endpoint to the scope it lacks (401/403 answers)."""

    page_limit: int
    directory_pages: dict[str, int] = field(default_factory=dict)  # a complete listing's calls, per resource
    contacts: Count = field(default_factory=lambda: Count(0, True, "not read"))
    conversations: Count = field(default_factory=lambda: Count(0, True, "not read"))
    sub_resource_pages: dict[str, float] = field(default_factory=dict)  # mean pages per conversation
    events_per_hour: Count = field(default_factory=lambda: Count(0, True, "not read"))
    fetches_per_event: dict[str, float] = field(default_factory=dict)  # conversations to fetch, per event
    contacts_updated_per_hour: Count = field(default_factory=lambda: Count(0, True, "not read"))
    scope_errors: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)  # what was guessed beyond the usual extrapolations
    calls: int = 0
    seconds: float = 0.0

    @property
    def seconds_per_call(self) -> float:
        return self.seconds / self.calls if self.calls else 0.0


class _Probe:
    """Runs one read and turns a 401/403 into a scope note (the estimate goes on with what it may read)."""

    def __init__(self, sample: AccountSample) -> None:
        self.sample = sample

    def __call__(self, path: str, read, default=None):
        try:
            return read()
        except FrontOAuthReconnect:
            raise  # not a scope: the OAuth connection needs an admin to reconnect Front
        except FrontAuthError as exc:
            status = "401" if "answered 401" in str(exc) else "403"
            self.sample.scope_errors[path] = f"{status}: needs {required_scope(path)}"
            return default


def sample_account(front: FrontHook, now: Decimal, limits: SampleLimits | None = None) -> AccountSample:
    """Read the account's size and activity with few calls; see the module docstring."""
    limits = limits or SampleLimits()
    started, calls_before = time.monotonic(), front.metrics.sync_log_figures()["api_calls"]
    sample = AccountSample(page_limit=front.settings.page_limit)
    probe = _Probe(sample)
    probe("/me", front.get_me)
    if not any(v.startswith("401") for v in sample.scope_errors.values()):
        _sample_directory(front, sample, probe, limits)
        probe("/contacts", lambda: _sample_contacts(front, sample, limits, now))
        conversations = probe("/conversations", lambda: _sample_conversations(front, sample), default=[])
        _sample_sub_resources(front, sample, probe, conversations, limits)
        probe("/events", lambda: _sample_events(front, sample, limits, now))
    sample.calls = front.metrics.sync_log_figures()["api_calls"] - calls_before
    sample.seconds = time.monotonic() - started
    return sample


def _pages(front: FrontHook, path: str, params: dict[str, Any], max_pages: int):
    """Up to `max_pages` pages of a listing: (records, pages read, whether that was the whole listing)."""
    records: list[dict[str, Any]] = []
    pages, complete = 0, True
    for results, next_url in front.iter_pages_resumable(path, params):
        records.extend(results)
        pages += 1
        if next_url is not None and pages >= max_pages:
            complete = False
            break
    return records, pages, complete


def _sample_directory(front: FrontHook, sample: AccountSample, probe: _Probe, limits: SampleLimits) -> None:
    """List each small resource (the hourly DAG's directory refresh): its calls are known exactly, unless it is
    longer than `directory_pages` (then extrapolated from the records per page)."""
    for resource in synced(LISTED):
        if resource.incremental:
            continue

        def read(resource=resource):
            try:
                return _pages(front, resource.path, dict(resource.list_params), limits.directory_pages)
            except FrontNotFound:
                if resource.optional:
                    return [], 1, True  # a feature the company lacks: the sync's call answers 404 too
                raise

        listed = probe(resource.path, read)
        if listed is not None:
            _, pages, complete = listed
            sample.directory_pages[resource.name] = pages if complete else pages * 2
            if not complete:
                sample.notes.append(f"{resource.name}: over {pages} pages; counted as {pages * 2} (a guess)")


def _id_number(record: dict[str, Any]) -> int | None:
    """Front ids are a type prefix and a base-36 number that grows with creation (``crd_3cgz4ge``)."""
    tail = str(record.get("id", "")).partition("_")[2]
    try:
        return int(tail, 36)
    except ValueError:
        return None


def _sample_contacts(front: FrontHook, sample: AccountSample, limits: SampleLimits, now: Decimal) -> None:
    """Contacts: counted when few; else extrapolated from the id span (ids grow with creation: the newest pages'
    ids per contact, times the span down to the oldest contact's id). Front gives no total for contacts."""
    newest, pages, complete = _pages(
        front, CONTACTS.path, {"sort_by": "created_at", "sort_order": "desc"}, limits.contact_pages
    )
    if complete:
        sample.contacts = Count(len(newest), True, f"counted ({pages} pages)")
    else:
        oldest = front.request_json(CONTACTS.path, {"sort_by": "created_at", "sort_order": "asc", "limit": 1})
        numbers = [number for number in map(_id_number, newest) if number is not None]
        bottom = _id_number((oldest.get("_results") or [{}])[0])
        if (
            bottom is None
            or len(numbers) < len(newest)
            or numbers != sorted(numbers, reverse=True)
            or numbers[0] <= numbers[-1]
        ):
            sample.contacts = Count(len(newest), False, f"at least ({pages} pages; ids do not grow with creation)")
        else:
            top, low = numbers[0], numbers[-1]
            value = 1 + (len(newest) - 1) * (top - bottom) / (top - low)
            sample.contacts = Count(round(value), False, f"extrapolated from the id span of {pages} pages")
    since = now - Decimal(str(limits.activity_hours * 3600))
    assert CONTACTS.updated_after_param is not None  # contacts are listed by update time (resources/__init__.py)
    updated, pages, complete = _pages(
        front,
        CONTACTS.path,
        {CONTACTS.updated_after_param: f"{since:.3f}", "sort_by": "updated_at", "sort_order": "desc"},
        limits.contact_pages,
    )
    sample.contacts_updated_per_hour = _rate(updated, complete, pages, now, limits, "updated_at")


def _rate(
    records: list[dict[str, Any]], complete: bool, pages: int, now: Decimal, limits: SampleLimits, stamp: str
) -> Count:
    """Records per hour over the activity span: counted, or (sample cut short) scaled by the span it covers."""
    hours = Decimal(str(limits.activity_hours))
    if complete:
        return Count(float(len(records) / hours), True, f"counted over {limits.activity_hours:g} h ({pages} pages)")
    stamps = [Decimal(str(r[stamp])) for r in records if isinstance(r.get(stamp), int | float | Decimal)]
    covered = max((now - min(stamps)) / 3600, Decimal("0.01")) if stamps else hours
    return Count(float(len(records) / covered), False, f"extrapolated from {pages} pages covering {covered:.2f} h")


def _sample_conversations(front: FrontHook, sample: AccountSample) -> list[dict[str, Any]]:
    """Conversations from Front's search totals (``_total``): everything active plus the trash (search leaves the
    trash out unless asked). Returns the newest page, the sample for the sub-resources. Two search calls."""
    everything = front.request_json(f"/conversations/search/{quote('after:0', safe='')}", {"limit": sample.page_limit})
    trashed = front.request_json(f"/conversations/search/{quote('is:trashed', safe='')}", {"limit": 1})
    active, trash = everything.get("_total"), trashed.get("_total")
    if isinstance(active, int | Decimal) and isinstance(trash, int | Decimal):
        sample.conversations = Count(int(active + trash), True, "Front's search _total (active + trashed)")
    else:
        seen = len(everything.get("_results") or [])
        sample.conversations = Count(seen, False, "at least (search gave no _total)")
    return list(everything.get("_results") or [])


def _sample_sub_resources(
    front: FrontHook, sample: AccountSample, probe: _Probe, conversations: list[dict[str, Any]], limits: SampleLimits
) -> None:
    """Pages per conversation of each sub-resource listing, from a few conversations spread over the newest page
    (the newest are the busiest: this leans high, the safe side)."""
    step = max(1, len(conversations) // max(1, limits.conversations))
    chosen = [c["id"] for c in conversations[::step][: limits.conversations] if isinstance(c.get("id"), str)]
    for sub in synced(PER_CONVERSATION):
        counts = []
        for conversation_id in chosen:
            path = sub.path.format(parent_id=conversation_id)
            try:
                listed = probe(sub.path, lambda path=path, sub=sub: _pages(front, path, dict(sub.list_params), 3))
            except (FrontNotFound, FrontConversationMerged):
                continue
            if listed is None:
                break  # a scope error: noted once
            counts.append(listed[1] if listed[2] else listed[1] + 1)
        sample.sub_resource_pages[sub.name] = sum(counts) / len(counts) if counts else 1.0


def _sample_events(front: FrontHook, sample: AccountSample, limits: SampleLimits, now: Decimal) -> None:
    """Events per hour over the activity span (newest first), and per event how many conversations' sub-resources
    the sync would fetch (merges, drafts, payloads it cannot trust), read as the sync reads them."""
    since = now - Decimal(str(limits.activity_hours * 3600))
    events, pages, complete = _pages(
        front, "/events", {"q[after]": f"{since:.3f}", "limit": EVENTS_PAGE_LIMIT}, limits.event_pages
    )
    sample.events_per_hour = _rate(events, complete, pages, now, limits, "emitted_at")
    changes = ChangeSet()
    changes.add_page(list(reversed(events)))
    sample.fetches_per_event = {name: len(ids) / max(1, changes.events) for name, ids in changes.need.items()}


def pages_for(records: float, per_page: int) -> int:
    """Calls to list `records` records: at least one (an empty listing still answers)."""
    return max(1, math.ceil(records / per_page))
