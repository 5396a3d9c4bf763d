"""Turn pages of Front events into a change set: which conversations changed, the messages and comments the events
carried in full (loaded as they are), and what must be fetched again because no event carried it."""

from __future__ import annotations

from collections.abc import Set
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from front_sync.resources import CONVERSATION_ONLY_EVENTS, MERGE_EVENT, Resource, synced
from front_sync.resources.model import PER_CONVERSATION
from front_sync.resources.transform import BadRecord, front_timestamp, has_paths, id_from_url, latest
from front_sync.warehouse.prepare import View


def _per_sub_resource() -> dict[str, Any]:
    return {sub.name: {} for sub in synced(PER_CONVERSATION)}


def _needs() -> dict[str, set[str]]:
    """Per sub-resource (messages, comments...): the conversations whose rows must be fetched again."""
    return {sub.name: set() for sub in synced(PER_CONVERSATION)}


def carried_record(sub: Resource, event: dict[str, Any], conversation_id: str) -> dict[str, Any] | None:
    """The sub-resource record an event carries in full, or None when it must be fetched: the target is not that
    resource, lacks a path the loader needs, is not trusted (a draft), or belongs to another conversation."""
    target = event.get("target")
    if not isinstance(target, dict) or (target.get("_meta") or {}).get("type") != sub.event_target:
        return None
    record = target.get("data")
    if not has_paths(record, sub.event_payload_needs) or not isinstance(record.get("id"), str):
        return None
    if sub.event_payload_trusted is not None and not sub.event_payload_trusted(record):
        return None
    link = ((record.get("_links") or {}).get("related") or {}).get("conversation")
    try:
        linked = id_from_url(link) if isinstance(link, str) else None
    except BadRecord:
        linked = None
    if linked != conversation_id:
        return None  # moved or merged since: the conversation's own listing is the authority
    return record


def conversation_id_of(event: Any) -> str | None:
    """The id of the conversation an event is about, when it has a readable one."""
    conversation = event.get("conversation") if isinstance(event, dict) else None
    conversation_id = conversation.get("id") if isinstance(conversation, dict) else None
    return conversation_id if isinstance(conversation_id, str) else None


@dataclass
class ChangeSet:
    """Everything a run learned from the events it read; built up page by page (one batch at a time)."""

    conversations: dict[str, dict[str, Any]] = field(default_factory=dict)  # newest snapshot per conversation
    snapshot_at: dict[str, Decimal] = field(default_factory=dict)
    need: dict[str, set[str]] = field(default_factory=_needs)  # by sub-resource (Resource.touched_by)
    carried: dict[str, dict[str, tuple[Decimal, dict[str, Any]]]] = field(default_factory=_per_sub_resource)
    merged_into: dict[str, str] = field(default_factory=dict)  # merged-away id -> surviving id
    seen_events: set[str] = field(default_factory=set)
    applied: list[tuple[str, Decimal]] = field(default_factory=list)  # (event id, emitted_at) folded in
    events: int = 0
    duplicates: int = 0
    bad_events: list[tuple[Any, str]] = field(default_factory=list)
    max_emitted_at: Decimal | None = None

    def add_page(self, events: list[Any], already_applied: Set[str] = frozenset()) -> None:
        """Fold one page of events (oldest first) into the change set. Repeats within the run and events an
        earlier run applied (`already_applied`, the overlap) count as duplicates; their time still moves the cursor."""
        for event in events:
            try:
                self._add(event, already_applied)
            except BadRecord as exc:
                self.bad_events.append((event, str(exc)))
                # not applied: its conversation's sub-resources are not known
                self._fetch_all(conversation_id_of(event))

    def _fetch_all(self, conversation_id: str | None) -> None:
        """Ask for every sub-resource row of a conversation (an event that was not applied, or of a kind not known)."""
        if conversation_id is not None:
            for sub in synced(PER_CONVERSATION):
                self.need[sub.name].add(conversation_id)

    def carried_records(self, sub: str) -> list[dict[str, Any]]:
        """The records of one sub-resource carried in full by this batch's events (newest version of each)."""
        return [record for _, record in self.carried[sub].values()]

    def carried_view(self, sub: str) -> View:
        """The view of carried_records(sub): each record as of the event that carried it (a partial payload)."""
        return View(each=[emitted_at for emitted_at, _ in self.carried[sub].values()], partial=True)

    def snapshots(self) -> tuple[list[dict[str, Any]], View]:
        """The newest snapshot of each conversation not merged away, and their view (as of each event)."""
        ids = [i for i in self.conversations if i not in self.merged_into]
        return [self.conversations[i] for i in ids], View(each=[self.snapshot_at[i] for i in ids], partial=True)

    def _add(self, event: Any, already_applied: Set[str]) -> None:
        if not isinstance(event, dict) or not isinstance(event.get("id"), str):
            raise BadRecord("event without an id")
        emitted_at = front_timestamp(event.get("emitted_at"), "emitted_at")
        if emitted_at is None:
            raise BadRecord("event without emitted_at")
        if event["id"] in self.seen_events or event["id"] in already_applied:
            self.duplicates += 1
            self._reached(emitted_at)
            return
        self.seen_events.add(event["id"])
        self.applied.append((event["id"], emitted_at))
        self.events += 1
        self._reached(emitted_at)
        conversation_id = conversation_id_of(event)
        if conversation_id is None:
            return
        conversation = event["conversation"]
        if emitted_at >= self.snapshot_at.get(conversation_id, Decimal(-1)):
            self.conversations[conversation_id] = conversation
            self.snapshot_at[conversation_id] = emitted_at
        kind = event.get("type")
        subs = synced(PER_CONVERSATION)
        if kind not in CONVERSATION_ONLY_EVENTS and not any(kind in sub.touched_by for sub in subs):
            self._fetch_all(conversation_id)  # a kind Front added since: the skip is not proven safe
        for sub in subs:
            if kind in sub.touched_by:
                self._touch(sub, event, conversation_id, emitted_at)
        if kind == MERGE_EVENT:
            # The survivor (the event's conversation) now holds the merged conversations' sub-resources.
            target = event.get("target") or {}
            merged = target.get("data") if (target.get("_meta") or {}).get("type") == "deleted_conversation_ids" else []
            for old_id in merged or []:
                if isinstance(old_id, str) and old_id != conversation_id:
                    self.merged_into[old_id] = conversation_id

    def _touch(self, sub: Resource, event: dict[str, Any], conversation_id: str, emitted_at: Decimal) -> None:
        """An event changed a sub-resource record: keep the record it carries, or ask for the conversation's fetch."""
        record = carried_record(sub, event, conversation_id)
        if record is None:
            self.need[sub.name].add(conversation_id)
            return
        kept = self.carried[sub.name].get(record["id"])
        if kept is None or emitted_at >= kept[0]:
            self.carried[sub.name][record["id"]] = (emitted_at, record)

    def _reached(self, emitted_at: Decimal) -> None:
        self.max_emitted_at = latest(self.max_emitted_at, emitted_at)
