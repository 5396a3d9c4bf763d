"""Mutations that change conversations without new messages: tags, assignment, status, merges, custom fields,
moves. Each moves ``updated_at`` and emits Front's event with a teammate as its source."""

from __future__ import annotations

from typing import Any

from front_simulator.model import Conversation
from front_simulator.mutations.common import (
    ALL_TYPES,
    MutationError,
    actor,
    conversation_targets,
    emit,
    field_value,
    live_conversations,
    merge_groups,
    users,
)


def record_change(state: Any, conv: Conversation, kind: str, target=(None, None), *, bump: bool = False) -> str:
    """Stamp the change (``bump``: also to the top of ``/conversations``) and emit its event; the event id."""
    conv.updated_at = state.stamp()
    if bump:
        conv.bumped_at = conv.updated_at
    state.touch("conversations")
    return emit(state, kind, conv, target, ("teammate", actor(state)), conv.updated_at)


def tag(state: Any, count: int, ids: list[str] | None, params: dict[str, Any]) -> dict:
    """Apply a tag (``tag_id``, else one the conversation lacks)."""
    tags = [t.id for t in state.data.tags.values() if not t.deleted]
    if not tags:
        raise MutationError("no tags to apply")
    wanted = params.get("tag_id")
    chosen = conversation_targets(
        state,
        count,
        ids,
        types=ALL_TYPES,
        where=lambda c: len(set(tags) - set(c.tag_ids)) > 0 and (wanted is None or wanted not in c.tag_ids),
    )
    events = []
    for conv in chosen:
        tag_id = wanted or state.rng.choice(sorted(set(tags) - set(conv.tag_ids)))
        conv.tag_ids.append(tag_id)
        events.append(record_change(state, conv, "tag", ("tag", tag_id)))
    return {"ids": [c.id for c in chosen], "events": events}


def untag(state: Any, count: int, ids: list[str] | None, params: dict[str, Any]) -> dict:
    chosen = conversation_targets(state, count, ids, types=ALL_TYPES, where=lambda c: bool(c.tag_ids))
    events = []
    for conv in chosen:
        tag_id = state.rng.choice(conv.tag_ids)
        conv.tag_ids.remove(tag_id)
        events.append(record_change(state, conv, "untag", ("tag", tag_id)))
    return {"ids": [c.id for c in chosen], "events": events}


def assign(state: Any, count: int, ids: list[str] | None, params: dict[str, Any]) -> dict:
    people = users(state)
    if not people:
        raise MutationError("no teammates to assign")
    chosen = conversation_targets(state, count, ids)
    events = []
    for conv in chosen:
        conv.assignee_id = state.rng.choice([u for u in people if u != conv.assignee_id] or people)
        events.append(record_change(state, conv, "assign", ("teammate", conv.assignee_id)))
    return {"ids": [c.id for c in chosen], "events": events}


def unassign(state: Any, count: int, ids: list[str] | None, params: dict[str, Any]) -> dict:
    chosen = conversation_targets(state, count, ids, where=lambda c: c.assignee_id is not None)
    events = []
    for conv in chosen:
        previous, conv.assignee_id = conv.assignee_id, None
        events.append(record_change(state, conv, "unassign", ("teammate", previous)))
    return {"ids": [c.id for c in chosen], "events": events}


# kind -> (which conversations it applies to, the flag it sets, its value, whether it bumps)
STATUS_CHANGES = {
    "archive": (lambda c: not c.archived, "archived", True, False),
    "reopen": (lambda c: c.archived, "archived", False, True),
    "trash": (lambda c: not c.trashed, "trashed", True, False),
    "restore": (lambda c: c.trashed, "trashed", False, True),
}


def status_change(kind: str):
    """The mutation for one kind of status change (reopen and restore bump the conversation)."""

    def mutation(state: Any, count: int, ids: list[str] | None, params: dict[str, Any]) -> dict:
        where, flag, value, bump = STATUS_CHANGES[kind]
        chosen = conversation_targets(
            state, count, ids, types=ALL_TYPES, include_trashed=kind == "restore", where=where
        )
        events = []
        for conv in chosen:
            setattr(conv, flag, value)
            events.append(record_change(state, conv, kind, bump=bump))
        return {"ids": [c.id for c in chosen], "events": events}

    mutation.__name__ = kind
    return mutation


def absorb(state: Any, survivor: Conversation, other: Conversation) -> None:
    """Move the other conversation's messages, comments and tags into the survivor; the other answers 301."""
    messages, comments = state.data.messages, state.data.comments
    for message_id in other.message_ids:
        messages[message_id].conversation_id = survivor.id
    for comment_id in other.comment_ids:
        comments[comment_id].conversation_id = survivor.id
    survivor.message_ids.extend(other.message_ids)
    survivor.comment_ids.extend(other.comment_ids)
    survivor.message_ids.sort(key=lambda m: (messages[m].draft, messages[m].created_at))
    for tag_id in other.tag_ids:
        if tag_id not in survivor.tag_ids:
            survivor.tag_ids.append(tag_id)
    other.message_ids, other.comment_ids = [], []
    other.merged_into = survivor.id


def merge_conversations(state: Any, count: int, ids: list[str] | None, params: dict[str, Any]) -> dict:
    """Merge groups: the first conversation survives and takes the others' messages and comments."""
    groups = merge_groups(state, live_conversations(state, types=("conversation",)), count, ids, "conversations")
    merged: dict[str, str] = {}
    events = []
    for survivor, *others in groups:
        for other in others:
            absorb(state, survivor, other)
            merged[other.id] = survivor.id
        target = ("deleted_conversation_ids", [c.id for c in others])
        events.append(record_change(state, survivor, "conversations_merged", target))
    return {"ids": [g[0].id for g in groups], "merged": merged, "events": events}


def update_conversation_custom_fields(state: Any, count: int, ids: list[str] | None, params: dict[str, Any]) -> dict:
    fields = state.data.fields_of("conversation")
    if not fields:
        raise MutationError("no conversation custom fields defined")
    chosen = conversation_targets(state, count, ids, types=ALL_TYPES)
    events = []
    for conv in chosen:
        fld = state.rng.choice(fields)
        conv.custom_fields[fld.name] = field_value(state.rng, fld, state.data)
        target = ("custom_field", state.renderer.custom_field(fld))
        events.append(record_change(state, conv, "custom_field_updated", target))
    return {"ids": [c.id for c in chosen], "events": events}


def move(state: Any, count: int, ids: list[str] | None, params: dict[str, Any]) -> dict:
    inboxes = list(state.data.inboxes)
    if len(inboxes) < 2:
        raise MutationError("moving needs at least two inboxes")
    chosen = conversation_targets(state, count, ids)
    events = []
    for conv in chosen:
        conv.inbox_id = state.rng.choice([i for i in inboxes if i != conv.inbox_id])
        target = ("inboxes", [state.renderer.inbox(state.data.inboxes[conv.inbox_id])])
        events.append(record_change(state, conv, "move", target))
    return {"ids": [c.id for c in chosen], "events": events}


ACTIONS = (
    tag,
    untag,
    assign,
    unassign,
    *(status_change(kind) for kind in STATUS_CHANGES),
    merge_conversations,
    update_conversation_custom_fields,
    move,
)
