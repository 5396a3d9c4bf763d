"""What the mutation families share: picking targets, merge groups, teammates, events, field values."""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

from front_simulator import words
from front_simulator.data import SEED_END, Dataset
from front_simulator.model import Conversation, CustomField, Event

# A mutation: (state, count, explicit ids or None, the request's other parameters) -> result
# (at least {"ids": [...]}; conversation mutations add the ids of the events they emitted).
Mutation = Callable[[Any, int, list[str] | None, dict[str, Any]], dict[str, Any]]
ALL_TYPES = ("conversation", "discussion", "task")


class MutationError(ValueError):
    """A mutate request the state cannot apply (unknown action, bad parameters)."""


def choose(state: Any, candidates: list[Any], count: int, ids: list[str] | None, kind: str) -> list[Any]:
    """The records named by ``ids`` (all must be candidates), else ``count`` of them at random."""
    if ids is not None:
        by_id = {c.id: c for c in candidates}
        missing = [i for i in ids if i not in by_id]
        if missing:
            raise MutationError(f"not applicable {kind}: {', '.join(missing)}")
        return [by_id[i] for i in ids]
    return state.rng.sample(candidates, k=min(count, len(candidates)))


def merge_groups(state: Any, candidates: list[Any], count: int, ids: list[str] | None, kind: str) -> list[list]:
    """Groups to merge, the survivor first: the ``ids`` as one group, else ``count`` groups of 2-3."""
    groups: list[list[Any]] = []
    if ids is not None:
        groups.append(choose(state, candidates, 0, ids, kind))
    else:
        pool = state.rng.sample(candidates, k=min(len(candidates), count * 3))
        while len(pool) >= 2 and len(groups) < count:
            size = min(len(pool), state.rng.choice((2, 2, 3)))
            groups.append(pool[:size])
            pool = pool[size:]
    if any(len(group) < 2 for group in groups):
        raise MutationError(f"a merge needs at least two {kind}")
    return groups


def users(state: Any) -> list[str]:
    """Teammates who act: human users, not blocked."""
    return [t.id for t in state.data.teammates.values() if t.type == "user" and not t.is_blocked]


def actor(state: Any) -> str | None:
    """The teammate an event's source names."""
    people = users(state)
    return state.rng.choice(people) if people else None


def live_conversations(
    state: Any, *, types: tuple[str, ...] = ALL_TYPES, include_trashed: bool = False
) -> list[Conversation]:
    return [
        c
        for c in state.data.conversations.values()
        if not c.merged_into and c.type in types and (include_trashed or not c.trashed)
    ]


def conversation_targets(
    state: Any,
    count: int,
    ids: list[str] | None,
    *,
    types: tuple[str, ...] = ("conversation",),
    include_trashed: bool = False,
    where: Callable[[Conversation], bool] | None = None,
) -> list[Conversation]:
    candidates = [
        c for c in live_conversations(state, types=types, include_trashed=include_trashed) if where is None or where(c)
    ]
    return choose(state, candidates, count, ids, "conversations")


def emit(
    state: Any,
    kind: str,
    conv: Conversation,
    target: tuple[str | None, Any],
    source: tuple[str, Any],
    at: float | None = None,
) -> str:
    """Record an event with snapshots of the conversation and target as they are now, and send it to the
    company's webhooks; returns its id."""
    number = state.data.counters.get("evt", 0)
    state.data.counters["evt"] = number + 1
    event = Event(number, kind, at if at is not None else state.stamp(), conv.id, *target, *source)
    rendered = state.renderer.event_target(event)
    event.target_snapshot = rendered["data"] if rendered is not None else None
    event.conversation_snapshot = state.renderer.conversation(conv)
    state.data.events.append(event)
    state.event_index.keys.append((event.emitted_at, event.num))
    state.event_index.values.append(event.emitted_at)
    state.event_index.items.append(event)
    state.webhooks.publish(lambda: state.renderer.event(event))  # queued only: never waits on the network
    return event.id


def field_value(rng: random.Random, fld: CustomField, data: Dataset) -> Any:
    """A new value for an edited custom field (later dates, emoji in text) of the field's type."""
    if fld.type == "enum":
        return rng.choice(fld.values or [{"value": "x"}])["value"]
    if fld.type == "boolean":
        return rng.random() < 0.5
    if fld.type == "datetime":
        return int(SEED_END + rng.randrange(86_400 * 365))
    if fld.type == "number":
        return rng.randrange(1, 1000)
    if fld.type == "teammate":
        return rng.choice([t.email for t in data.teammates.values()]) if data.teammates else None
    if fld.type == "inbox":
        return rng.choice(list(data.inboxes)) if data.inboxes else None
    return f"{rng.choice(words.WORDS)} {rng.choice(words.EMOJI)}"
