"""Turn pages of Front events into a change set: which conversations changed and what must be fetched again."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from front_sync.resources import MERGE_EVENT, synced
from front_sync.resources.model import PER_CONVERSATION
from front_sync.resources.transform import BadRecord, front_timestamp


def _needs() -> dict[str, set[str]]:
    """Per child resource (messages, comments...): the conversations whose rows must be fetched again."""
    return {child.name: set() for child in synced(PER_CONVERSATION)}


@dataclass
class ChangeSet:
    """Everything a run learned from the events it read; built up page by page, holds no message data."""

    conversations: dict[str, dict[str, Any]] = field(default_factory=dict)  # newest snapshot per conversation
    snapshot_at: dict[str, Decimal] = field(default_factory=dict)
    need: dict[str, set[str]] = field(default_factory=_needs)  # by child resource (Resource.touched_by)
    merged_into: dict[str, str] = field(default_factory=dict)  # merged-away id -> surviving id
    seen_events: set[str] = field(default_factory=set)
    events: int = 0
    duplicates: int = 0
    bad_events: list[tuple[Any, str]] = field(default_factory=list)
    max_emitted_at: Decimal | None = None

    def add_page(self, events: list[Any]) -> None:
        """Fold one page of events (oldest first) into the change set; repeats (overlap windows) count once."""
        for event in events:
            try:
                self._add(event)
            except BadRecord as exc:
                self.bad_events.append((event, str(exc)))

    def _add(self, event: Any) -> None:
        if not isinstance(event, dict) or not isinstance(event.get("id"), str):
            raise BadRecord("event without an id")
        if event["id"] in self.seen_events:
            self.duplicates += 1
            return
        emitted_at = front_timestamp(event.get("emitted_at"), "emitted_at")
        if emitted_at is None:
            raise BadRecord("event without emitted_at")
        self.seen_events.add(event["id"])
        self.events += 1
        if self.max_emitted_at is None or emitted_at > self.max_emitted_at:
            self.max_emitted_at = emitted_at
        conversation = event.get("conversation")
        conversation_id = conversation.get("id") if isinstance(conversation, dict) else None
        if isinstance(conversation_id, str):
            if emitted_at >= self.snapshot_at.get(conversation_id, Decimal(-1)):
                self.conversations[conversation_id] = conversation
                self.snapshot_at[conversation_id] = emitted_at
        kind = event.get("type")
        if conversation_id:
            for child in synced(PER_CONVERSATION):
                if kind in child.touched_by:
                    self.need[child.name].add(conversation_id)
        if kind == MERGE_EVENT and conversation_id:
            # The survivor (the event's conversation) now holds the merged conversations' children.
            target = event.get("target") or {}
            merged = target.get("data") if (target.get("_meta") or {}).get("type") == "deleted_conversation_ids" else []
            for old_id in merged or []:
                if isinstance(old_id, str) and old_id != conversation_id:
                    self.merged_into[old_id] = conversation_id
