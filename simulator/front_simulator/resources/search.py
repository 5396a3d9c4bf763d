"""``GET /conversations/search/{query}``: Front's search syntax over conversations, newest update first.

Understood: ``after:``/``before:`` (exclusive, on ``updated_at``), ``is:<status>``, ``inbox:``, ``tag:``; any
other term is a word the subject must contain. Trashed conversations only match with ``is:trashed``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from front_simulator.pagination import Window, take_window
from front_simulator.table import QueryError


def awaiting_reply(conv: Any, messages: dict[str, Any]) -> bool:
    sent = [m for m in conv.message_ids if not messages[m].draft]
    return bool(sent) and messages[sent[-1]].is_inbound


# is:<status> -> does a conversation match (given the messages); is:assigned alone still matches archived
# conversations that have an assignee, as in Front
STATUS_TESTS: dict[str, Callable[[Any, dict[str, Any]], bool]] = {
    "open": lambda conv, messages: not (conv.archived or conv.trashed),
    "archived": lambda conv, messages: conv.archived,
    "assigned": lambda conv, messages: bool(conv.assignee_id),
    "unassigned": lambda conv, messages: not conv.assignee_id,
    "trashed": lambda conv, messages: conv.trashed,
    "snoozed": lambda conv, messages: False,
    "unreplied": awaiting_reply,
}


@dataclass(slots=True)
class SearchQuery:
    """A parsed search: free words plus Front's filters."""

    text: list[str] = field(default_factory=list)
    after: float | None = None
    before: float | None = None
    statuses: list[str] = field(default_factory=list)
    inboxes: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)


def parse_search(query: str) -> SearchQuery:
    parsed = SearchQuery()
    for term in query.split():
        name, sep, value = term.partition(":")
        name = name.lower()
        if not sep or not value or name not in ("after", "before", "is", "inbox", "tag"):
            parsed.text.append(term.lower())
        elif name in ("after", "before"):
            try:
                setattr(parsed, name, float(value))
            except ValueError as exc:
                raise QueryError(f"Invalid timestamp in search filter {term!r}") from exc
        elif name == "is":
            if value not in STATUS_TESTS:
                raise QueryError(f"Unsupported status in search filter {term!r}")
            parsed.statuses.append(value)
        else:
            getattr(parsed, f"{name}es" if name == "inbox" else f"{name}s").append(value)
    return parsed


def search_predicate(query: SearchQuery, messages: dict[str, Any]) -> Callable[[Any], bool]:
    def accept(conv: Any) -> bool:
        if conv.merged_into or (conv.trashed and "trashed" not in query.statuses):
            return False
        if query.after is not None and not conv.updated_at > query.after:
            return False
        if query.before is not None and not conv.updated_at < query.before:
            return False
        if not all(STATUS_TESTS[status](conv, messages) for status in query.statuses):
            return False
        if query.inboxes and conv.inbox_id not in query.inboxes:
            return False
        if query.tags and not set(query.tags) & set(conv.tag_ids):
            return False
        subject = conv.subject.lower()
        return all(word in subject for word in query.text)

    return accept


def search_conversations(state: Any, query: str, *, limit: int, after: Any) -> tuple[Window, int]:
    """One page of matches, newest ``updated_at`` first, and the total count (``_total``)."""
    accept = search_predicate(parse_search(query), state.data.messages)
    index = state.sorted_index("conversations", "updated_at", state.data.conversations.values())
    total = sum(1 for conv in index.items if accept(conv))
    return take_window(index, descending=True, after=after, limit=limit, accept=accept), total
