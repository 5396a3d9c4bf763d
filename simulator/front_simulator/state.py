"""The simulator's state: the seeded company, its indexes and caches, listings, mutations and events.

One ``SimulatorState`` per server. HTTP handlers and the control API call into it under ``lock``.
Mutations use a seeded RNG owned by the state, so the same seed and the same sequence of mutations give
the same result; their timestamps come from the (injectable) wall clock, strictly increasing.
"""

from __future__ import annotations

import random
import threading
import time
from bisect import bisect_left, bisect_right
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import msgspec

from front_simulator import words
from front_simulator.data import (
    CHANNEL_MESSAGE_TYPES,
    SEED_END,
    Dataset,
    ascii_slug,
    generate,
    normalize_sizes,
)
from front_simulator.faults import FaultInjector
from front_simulator.model import Comment, Contact, Conversation, Event, Message
from front_simulator.pagination import Index, Window, take_window
from front_simulator.ratelimit import RateLimiter
from front_simulator.render import Renderer
from front_simulator.stats import Stats

CONVERSATION_STATUSES = ("assigned", "unassigned", "archived", "trashed")
SEARCH_STATUSES = ("open", "archived", "assigned", "unassigned", "trashed", "snoozed", "unreplied")

_encode = msgspec.json.Encoder().encode


class MutationError(ValueError):
    """A mutate request the state cannot apply (unknown action, bad parameters)."""


@dataclass(slots=True)
class SearchQuery:
    """A parsed ``/conversations/search/{query}``: free text plus Front's filters."""

    text: list[str]
    after: float | None = None
    before: float | None = None
    statuses: tuple[str, ...] = ()
    inboxes: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()


class SimulatorState:
    """Store, indexes, listings, mutations, events, plus the rate limiter, faults and stats of one server."""

    def __init__(
        self,
        seed: int = 1,
        sizes: dict[str, Any] | None = None,
        *,
        link_base: str = "http://localhost",
        clock: Callable[[], float] = time.time,
    ):
        self.lock = threading.RLock()
        self.clock = clock
        self.link_base = link_base.rstrip("/")
        self.stats = Stats()
        self.limiter = RateLimiter(clock)
        self.faults = FaultInjector(seed)
        self.generation = 0
        self.reset(seed, sizes)

    # -- lifecycle --------------------------------------------------------------------------------

    def reset(self, seed: int, sizes: dict[str, Any] | None = None) -> None:
        """Regenerate the company; clears stats, faults and rate-limit counters (settings are kept)."""
        normalized = normalize_sizes(sizes)
        data = generate(seed, normalized)
        with self.lock:
            self.seed = int(seed)
            self.sizes = normalized
            self.data: Dataset = data
            self.generation += 1
            self.rng = random.Random(f"{seed}:mutations")
            self.last_stamp = SEED_END + 3 * 86_400.0  # mutations always come after the seeded history
            self.renderer = Renderer(data, self.link_base)
            self.contact_cache: dict[str, bytes] = {}
            self.contact_version = 0
            self.conversation_version = 0
            self._indexes: dict[Any, tuple[int, Index]] = {}
            self.event_index = Index.build(data.events, lambda e: (e.emitted_at, e.num))
            self.stats.reset()
            self.faults.clear(seed)
            self.limiter.reset_counters()

    def set_link_base(self, link_base: str) -> None:
        with self.lock:
            self.link_base = link_base.rstrip("/")
            self.renderer = Renderer(self.data, self.link_base)
            self.contact_cache.clear()

    def stamp(self) -> float:
        """A mutation timestamp: wall clock, 3 decimals, strictly greater than every earlier stamp."""
        value = round(max(self.clock(), self.last_stamp + 0.001), 3)
        if value <= self.last_stamp:
            value = round(self.last_stamp + 0.001, 3)
        self.last_stamp = value
        return value

    # -- indexes ----------------------------------------------------------------------------------

    def _index(self, name: Any, version: int, build: Callable[[], Index]) -> Index:
        cached = self._indexes.get(name)
        if cached is not None and cached[0] == version:
            return cached[1]
        index = build()
        self._indexes[name] = (version, index)
        return index

    def contact_index(self, sort_by: str) -> Index:
        contacts = self.data.contacts
        if sort_by == "updated_at":
            return self._index(
                "contacts:updated_at",
                self.contact_version,
                lambda: Index.build(list(contacts.values()), lambda c: (c.updated_at, c.id)),
            )
        return self._index(
            "contacts:created_at",
            self.contact_version,
            lambda: Index.build(list(contacts.values()), lambda c: (c.created_at, c.id)),
        )

    def conversation_index(self, by: str) -> Index:
        convs = self.data.conversations
        if by == "updated_at":
            return self._index(
                "conversations:updated_at",
                self.conversation_version,
                lambda: Index.build(list(convs.values()), lambda c: (c.updated_at, c.id)),
            )
        return self._index(
            "conversations:bumped_at",
            self.conversation_version,
            lambda: Index.build(list(convs.values()), lambda c: (c.bumped_at, c.id)),
        )

    def touch_contacts(self, contact_ids: list[str]) -> None:
        """Forget the encoded form of changed contacts (indexes are patched in place, see below)."""
        for contact_id in contact_ids:
            self.contact_cache.pop(contact_id, None)

    def set_contact_updated_at(self, contact: Contact, value: float) -> None:
        """Move a contact within a cached updated_at index instead of re-sorting 100,000 keys."""
        cached = self._indexes.get("contacts:updated_at")
        if cached is not None and cached[0] == self.contact_version:
            _index_move(cached[1], (contact.updated_at, contact.id), (value, contact.id), contact)
        contact.updated_at = value

    def add_contact(self, contact: Contact) -> None:
        self.data.contacts[contact.id] = contact
        for name, key in (
            ("contacts:updated_at", (contact.updated_at, contact.id)),
            ("contacts:created_at", (contact.created_at, contact.id)),
        ):
            cached = self._indexes.get(name)
            if cached is not None and cached[0] == self.contact_version:
                _index_move(cached[1], None, key, contact)

    def touch_conversations(self) -> None:
        self.conversation_version += 1

    # -- reads --------------------------------------------------------------------------------------

    def contact_bytes(self, contact: Contact) -> bytes:
        """The encoded ContactResponse, cached until the contact changes (the hot path of listings)."""
        cached = self.contact_cache.get(contact.id)
        if cached is None:
            cached = _encode(self.renderer.contact(contact))
            self.contact_cache[contact.id] = cached
        return cached

    def find_contact(self, contact_id: str) -> Contact | None:
        """By id or by Front's alias ``alt:<source>:<handle>``; deleted and merged contacts are not found."""
        if contact_id.startswith("alt:"):
            _, _, rest = contact_id.partition(":")
            source, _, handle = rest.partition(":")
            for contact in self.data.contacts.values():
                if not contact.deleted and (handle, source) in contact.handles:
                    return contact
            return None
        contact = self.data.contacts.get(contact_id)
        return contact if contact is not None and not contact.deleted else None

    def list_contacts(
        self,
        *,
        sort_by: str | None,
        descending: bool,
        updated_after: float | None,
        updated_before: float | None,
        limit: int,
        after: Any,
        rewind: int = 0,
    ) -> Window:
        index = self.contact_index(sort_by or "created_at")
        if sort_by == "updated_at":
            return take_window(
                index,
                descending=descending,
                after=after,
                limit=limit,
                value_above=updated_after,
                value_below=updated_before,
                gone=_contact_gone,
                rewind=rewind,
            )
        accept = None
        if updated_after is not None or updated_before is not None:
            low = updated_after if updated_after is not None else float("-inf")
            high = updated_before if updated_before is not None else float("inf")

            def accept(contact: Contact) -> bool:
                return low < contact.updated_at < high

        return take_window(
            index,
            descending=descending,
            after=after,
            limit=limit,
            accept=accept,
            gone=_contact_gone,
            rewind=rewind,
        )

    def resolve_conversation(self, conversation_id: str) -> tuple[Conversation | None, str | None]:
        """(conversation, None) when live; (None, survivor_id) when merged; (None, None) when unknown."""
        conv = self.data.conversations.get(conversation_id)
        seen = 0
        survivor = None
        while conv is not None and conv.merged_into and seen < 20:
            survivor = conv.merged_into
            conv = self.data.conversations.get(survivor)
            seen += 1
        if survivor is not None:
            return None, survivor if conv is not None else None
        return conv, None

    def list_conversations(
        self,
        *,
        statuses: tuple[str, ...],
        descending: bool,
        limit: int,
        after: Any,
        rewind: int = 0,
        categories: tuple[str, ...] = (),
        status_ids: tuple[str, ...] = (),
    ) -> Window:
        wanted = set(statuses)
        ticket_filter = set(categories) | set(status_ids)
        ticket_status_of = self.renderer.ticket_status_of

        def accept(conv: Conversation) -> bool:
            status = "trashed" if conv.trashed else conv.status
            if ticket_filter:
                ticket = ticket_status_of(conv)
                return ticket is not None and bool({ticket["category"], ticket["id"]} & ticket_filter)
            if wanted:
                return status in wanted
            return status != "trashed"  # like Front's default view: trashed only when asked for

        return take_window(
            self.conversation_index("bumped_at"),
            descending=descending,
            after=after,
            limit=limit,
            accept=accept,
            gone=_conversation_gone,
            rewind=rewind,
        )

    def parse_search(self, query: str) -> SearchQuery:
        parsed = SearchQuery(text=[])
        statuses, inboxes, tags = [], [], []
        for term in query.split():
            name, sep, value = term.partition(":")
            if not sep or not value:
                parsed.text.append(term.lower())
                continue
            name = name.lower()
            if name in ("after", "before"):
                try:
                    stamp = float(value)
                except ValueError as exc:
                    raise MutationError(f"Invalid timestamp in search filter {term!r}") from exc
                if name == "after":
                    parsed.after = stamp
                else:
                    parsed.before = stamp
            elif name == "is":
                if value not in SEARCH_STATUSES:
                    raise MutationError(f"Unsupported status in search filter {term!r}")
                statuses.append(value)
            elif name == "inbox":
                inboxes.append(value)
            elif name == "tag":
                tags.append(value)
            else:
                parsed.text.append(term.lower())
        parsed.statuses, parsed.inboxes, parsed.tags = tuple(statuses), tuple(inboxes), tuple(tags)
        return parsed

    def search_predicate(self, query: SearchQuery) -> Callable[[Conversation], bool]:
        messages = self.data.messages

        def accept(conv: Conversation) -> bool:
            if conv.merged_into:
                return False
            if query.after is not None and not conv.updated_at > query.after:
                return False
            if query.before is not None and not conv.updated_at < query.before:
                return False
            if conv.trashed and "trashed" not in query.statuses:
                return False
            for status in query.statuses:
                if status == "open" and (conv.archived or conv.trashed):
                    return False
                if status == "archived" and not conv.archived:
                    return False
                if status == "assigned" and not conv.assignee_id:
                    return False  # is:assigned alone still matches archived conversations, as in Front
                if status == "unassigned" and conv.assignee_id:
                    return False
                if status == "trashed" and not conv.trashed:
                    return False
                if status == "snoozed":
                    return False
                if status == "unreplied":
                    live = [m for m in conv.message_ids if not messages[m].draft]
                    if not live or not messages[live[-1]].is_inbound:
                        return False
            if query.inboxes and conv.inbox_id not in query.inboxes:
                return False
            if query.tags and not set(query.tags) & set(conv.tag_ids):
                return False
            if query.text:
                subject = conv.subject.lower()
                if not all(word in subject for word in query.text):
                    return False
            return True

        return accept

    def search_conversations(self, query: str, *, limit: int, after: Any) -> tuple[Window, int]:
        parsed = self.parse_search(query)
        accept = self.search_predicate(parsed)
        index = self.conversation_index("updated_at")
        total = sum(1 for conv in index.items if accept(conv))
        window = take_window(index, descending=True, after=after, limit=limit, accept=accept)
        return window, total

    def list_messages(
        self, conv: Conversation, *, descending: bool, limit: int, after: Any, rewind: int = 0
    ) -> Window:
        messages = [self.data.messages[m] for m in conv.message_ids]
        index = Index.build(messages, lambda m: (m.created_at, m.id))
        return take_window(index, descending=descending, after=after, limit=limit, rewind=rewind)

    def list_comments(self, conv: Conversation) -> list[Comment]:
        comments = [self.data.comments[c] for c in conv.comment_ids]
        comments.sort(key=lambda c: (c.posted_at, c.id), reverse=True)  # newest first, like Front
        return comments

    def list_events(
        self,
        *,
        after_ts: float | None,
        before_ts: float | None,
        types: tuple[str, ...],
        inboxes: tuple[str, ...],
        descending: bool,
        limit: int,
        after: Any,
        rewind: int = 0,
    ) -> Window:
        wanted_types = set(types)
        wanted_inboxes = set(inboxes)
        convs = self.data.conversations
        accept = None
        if wanted_types or wanted_inboxes:

            def accept(event: Event) -> bool:
                if wanted_types and event.type not in wanted_types:
                    return False
                if wanted_inboxes:
                    conv = convs.get(event.conversation_id)
                    return conv is not None and conv.inbox_id in wanted_inboxes
                return True

        return take_window(
            self.event_index,
            descending=descending,
            after=after,
            limit=limit,
            value_above=after_ts,
            value_below=before_ts,
            accept=accept,
            rewind=rewind,
        )

    def find_event(self, event_id: str) -> Event | None:
        from front_simulator.ids import id_number

        number = id_number("evt", event_id)
        if number is None or number >= len(self.data.events):
            return None
        event = self.data.events[number]
        return event if event.num == number else None

    def live_tags(self) -> list[Any]:
        return [t for t in self.data.tags.values() if not t.deleted]

    # -- ground truth -----------------------------------------------------------------------------

    TRUTH_RESOURCES = (
        "contacts",
        "contact_lists",
        "tags",
        "inboxes",
        "teammates",
        "channels",
        "custom_fields",
        "contact_custom_fields",
        "conversation_custom_fields",
        "conversations",
        "messages",
        "comments",
        "events",
        "me",
        "statuses",
        "merges",
        "deleted_contacts",
    )

    def truth(self, resource: str) -> dict[str, Any]:
        """Every current record of a resource exactly as the API renders it (``{"_results": [...]}``)."""
        r = self.renderer
        data = self.data
        if resource == "contacts":
            return {"_results": [r.contact(c) for c in data.contacts.values() if not c.deleted]}
        if resource == "contact_lists":
            return {"_results": [r.contact_list(c) for c in data.contact_lists.values()]}
        if resource == "tags":
            return {"_results": [r.tag(t) for t in self.live_tags()]}
        if resource == "inboxes":
            return {"_results": [r.inbox(i) for i in data.inboxes.values()]}
        if resource == "teammates":
            return {"_results": [r.teammate(t) for t in data.teammates.values()]}
        if resource == "channels":
            return {"_results": [r.channel(c) for c in data.channels.values()]}
        if resource in ("custom_fields", "contact_custom_fields", "conversation_custom_fields"):
            scope = {"contact_custom_fields": "contact", "conversation_custom_fields": "conversation"}.get(
                resource
            )
            return {
                "_results": [
                    r.custom_field(f)
                    for f in data.custom_fields.values()
                    if scope is None or f.scope == scope
                ]
            }
        if resource == "conversations":
            return {"_results": [r.conversation(c) for c in data.conversations.values() if not c.merged_into]}
        if resource == "messages":
            return {
                "_results": [
                    r.message(data.messages[m])
                    for c in data.conversations.values()
                    if not c.merged_into
                    for m in c.message_ids
                ]
            }
        if resource == "comments":
            return {
                "_results": [
                    r.comment(data.comments[m])
                    for c in data.conversations.values()
                    if not c.merged_into
                    for m in c.comment_ids
                ]
            }
        if resource == "events":
            return {"_results": [r.event(e) for e in data.events]}
        if resource == "me":
            return {"_results": [r.me()]}
        if resource == "statuses":
            return {"_results": [r.status(s) for s in data.statuses]}
        if resource == "merges":
            return {
                "conversations": {
                    c.id: self.resolve_conversation(c.id)[1]
                    for c in data.conversations.values()
                    if c.merged_into
                },
                "contacts": {c.id: c.merged_into for c in data.contacts.values() if c.merged_into},
            }
        if resource == "deleted_contacts":
            return {"_results": [c.id for c in data.contacts.values() if c.deleted]}
        raise KeyError(resource)

    # -- mutations --------------------------------------------------------------------------------

    def mutate(self, action: str, params: dict[str, Any]) -> dict[str, Any]:
        """Apply one control-API mutation; returns at least ``{"ids": [...changed ids...]}``."""
        handler = getattr(self, f"_mutate_{action}", None)
        if handler is None or action not in MUTATIONS:
            raise MutationError(f"unknown action {action!r}; known: {', '.join(MUTATIONS)}")
        count = params.get("count", 1)
        if not isinstance(count, int) or count < 0:
            raise MutationError("count must be an integer >= 0")
        ids = params.get("ids")
        if ids is not None and (not isinstance(ids, list) or not all(isinstance(i, str) for i in ids)):
            raise MutationError("ids must be a list of strings")
        with self.lock:
            result = handler(count, ids, params)
        result.setdefault("events", [])
        return result

    def _choose(self, candidates: list[Any], count: int, ids: list[str] | None, kind: str) -> list[Any]:
        if ids is not None:
            by_id = {c.id: c for c in candidates}
            missing = [i for i in ids if i not in by_id]
            if missing:
                raise MutationError(f"not applicable {kind}: {', '.join(missing)}")
            return [by_id[i] for i in ids]
        return self.rng.sample(candidates, k=min(count, len(candidates)))

    def live_contacts(self) -> list[Contact]:
        return [c for c in self.data.contacts.values() if not c.deleted]

    def _edit_contact(self, contact: Contact) -> None:
        rng = self.rng
        roll = rng.random()
        if roll < 0.4:
            first = rng.choice(words.FIRST_NAMES)
            contact.name = f"{first} {contact.name.split(' ', 1)[-1]}" if " " in contact.name else first
        elif roll < 0.6:
            contact.description = f"Updated {rng.choice(words.WORDS)} {rng.choice(words.EMOJI)}"
        elif roll < 0.8:
            fields = [f for f in self.data.custom_fields.values() if f.scope == "contact"]
            if fields:
                fld = rng.choice(fields)
                contact.custom_fields[fld.name] = _field_value(rng, fld, self.data)
            else:
                contact.description = f"Edited {rng.randrange(10**6)}"
        else:
            contact.handles.append(
                (f"{ascii_slug(contact.name)}.{rng.randrange(10**6)}@example.org", "email")
            )
        self.set_contact_updated_at(contact, self.stamp())

    def _mutate_update_contacts(self, count: int, ids: list[str] | None, params: dict[str, Any]) -> dict:
        chosen = self._choose(self.live_contacts(), count, ids, "contacts")
        for contact in chosen:
            self._edit_contact(contact)
        self.touch_contacts([c.id for c in chosen])
        return {"ids": [c.id for c in chosen]}

    def _mutate_create_contacts(self, count: int, ids: list[str] | None, params: dict[str, Any]) -> dict:
        created = []
        for _ in range(count):
            number = self.data.counters.get("crd", 0)
            contact_id = self.data.next_id("crd")
            first, last = self.rng.choice(words.FIRST_NAMES), self.rng.choice(words.LAST_NAMES)
            at = self.stamp()
            contact = Contact(
                id=contact_id,
                name=f"{first} {last}",
                description="",
                avatar_url=f"avatar-{int(at * 1000)}",
                links=[],
                handles=[(f"{ascii_slug(first)}.{ascii_slug(last)}.{number}@example.com", "email")],
                list_ids=[],
                custom_fields={},
                is_private=False,
                owner_id=None,
                created_at=at,
                updated_at=at,
            )
            self.add_contact(contact)
            created.append(contact_id)
        self.touch_contacts(created)
        return {"ids": created}

    def _mutate_delete_contacts(self, count: int, ids: list[str] | None, params: dict[str, Any]) -> dict:
        chosen = self._choose(self.live_contacts(), count, ids, "contacts")
        for contact in chosen:
            contact.deleted = True  # no event, no tombstone in the API: only a full id reconcile finds it
        self.touch_contacts([c.id for c in chosen])
        return {"ids": [c.id for c in chosen]}

    def _mutate_merge_contacts(self, count: int, ids: list[str] | None, params: dict[str, Any]) -> dict:
        """Merge groups of contacts: the first survives (its updated_at moves), the others are deleted."""
        live = self.live_contacts()
        groups: list[list[Contact]] = []
        if ids is not None:
            groups.append(self._choose(live, 0, ids, "contacts"))
        else:
            pool = self.rng.sample(live, k=min(len(live), count * 3))
            while len(pool) >= 2 and len(groups) < count:
                size = min(len(pool), self.rng.choice((2, 2, 3)))
                groups.append(pool[:size])
                pool = pool[size:]
        merged: dict[str, str] = {}
        changed = []
        for group in groups:
            if len(group) < 2:
                raise MutationError("a merge needs at least two contacts")
            survivor = group[0]
            for other in group[1:]:
                for handle in other.handles:
                    if handle not in survivor.handles:
                        survivor.handles.append(handle)
                other.deleted = True
                other.merged_into = survivor.id
                merged[other.id] = survivor.id
                changed.append(other.id)
            self.set_contact_updated_at(survivor, self.stamp())
            changed.append(survivor.id)
        self.touch_contacts(changed)
        return {"ids": [g[0].id for g in groups], "merged": merged}

    # conversations ---------------------------------------------------------------------------------

    def live_conversations(
        self,
        *,
        types: tuple[str, ...] = ("conversation", "discussion", "task"),
        include_trashed: bool = False,
    ) -> list[Conversation]:
        return [
            c
            for c in self.data.conversations.values()
            if not c.merged_into and c.type in types and (include_trashed or not c.trashed)
        ]

    def _users(self) -> list[str]:
        return [t.id for t in self.data.teammates.values() if t.type == "user" and not t.is_blocked]

    def _emit(
        self,
        kind: str,
        conv: Conversation,
        target_kind: str | None,
        target_ref: Any,
        source_kind: str,
        source_ref: Any,
        at: float | None = None,
    ) -> Event:
        """Record an event with snapshots of the conversation and target as they are now."""
        number = self.data.counters.get("evt", 0)
        self.data.counters["evt"] = number + 1
        event = Event(
            number,
            kind,
            at if at is not None else self.stamp(),
            conv.id,
            target_kind,
            target_ref,
            source_kind,
            source_ref,
        )
        target = self.renderer.event_target(event)
        event.target_snapshot = target["data"] if target is not None else None
        event.conversation_snapshot = self.renderer.conversation(conv)
        self.data.events.append(event)
        self.event_index.keys.append((event.emitted_at, event.num))
        self.event_index.values.append(event.emitted_at)
        self.event_index.items.append(event)
        return event

    def _add_message(self, conv: Conversation, *, inbound: bool, author: str | None) -> tuple[Message, float]:
        at = self.stamp()
        previous = [m for m in conv.message_ids if not self.data.messages[m].draft]
        message = Message(
            id=self.data.next_id("msg"),
            conversation_id=conv.id,
            type=conv.message_type,
            is_inbound=inbound,
            created_at=at,
            author_id=None if inbound else author,
            contact_id=conv.contact_id,
            channel_id=conv.channel_id,
            seed=self.rng.getrandbits(48),
            replied_to=previous[-1] if previous else None,
        )
        self.data.messages[message.id] = message
        drafts = [m for m in conv.message_ids if self.data.messages[m].draft]
        conv.message_ids = [m for m in conv.message_ids if m not in drafts] + [message.id] + drafts
        conv.updated_at = conv.bumped_at = at
        if inbound:
            if conv.waiting_since is None:
                conv.waiting_since = at
            conv.archived = False  # a new inbound message brings an archived conversation back
        else:
            conv.waiting_since = None
        self.touch_conversations()
        return message, at

    def _new_conversation(self, *, inbound: bool) -> Conversation:
        data = self.data
        rng = self.rng
        channels = [c for c in data.channels.values() if CHANNEL_MESSAGE_TYPES[c.type] == "email"] or list(
            data.channels.values()
        )
        channel = rng.choice(channels) if channels else None
        contacts = self.live_contacts()
        contact = rng.choice(contacts) if contacts else None
        w1, w2 = rng.choice(words.WORDS), rng.choice(words.WORDS)
        at = self.stamp()
        conv = Conversation(
            id=data.next_id("cnv"),
            type="conversation",
            subject=f"{w1.capitalize()} {w2} {rng.choice(words.EMOJI)}",
            message_type=CHANNEL_MESSAGE_TYPES[channel.type] if channel else "email",
            inbox_id=channel.inbox_id if channel else None,
            channel_id=channel.id if channel else None,
            contact_id=contact.id if contact else None,
            recipient_role="from" if inbound else "to",
            assignee_id=None,
            archived=False,
            trashed=False,
            tag_ids=[],
            custom_fields={},
            is_private=False,
            created_at=at,
            updated_at=at,
            bumped_at=at,
            waiting_since=None,
            message_ids=[],
            comment_ids=[],
        )
        data.conversations[conv.id] = conv
        self.touch_conversations()
        return conv

    def _mutate_new_conversations(self, count: int, ids: list[str] | None, params: dict[str, Any]) -> dict:
        out, events, messages = [], [], []
        for _ in range(count):
            conv = self._new_conversation(inbound=True)
            message, at = self._add_message(conv, inbound=True, author=None)
            messages.append(message.id)
            events.append(
                self._emit(
                    "inbound",
                    conv,
                    "message",
                    message.id,
                    "inboxes",
                    [conv.inbox_id] if conv.inbox_id else [],
                    at,
                ).id
            )
            out.append(conv.id)
        return {"ids": out, "events": events, "messages": messages}

    def _mutate_new_outbound(self, count: int, ids: list[str] | None, params: dict[str, Any]) -> dict:
        users = self._users()
        if not users:
            raise MutationError("outbound messages need at least one teammate")
        out, events, messages = [], [], []
        for _ in range(count):
            conv = self._new_conversation(inbound=False)
            author = self.rng.choice(users)
            conv.assignee_id = author
            message, at = self._add_message(conv, inbound=False, author=author)
            messages.append(message.id)
            events.append(self._emit("outbound", conv, "message", message.id, "teammate", author, at).id)
            out.append(conv.id)
        return {"ids": out, "events": events, "messages": messages}

    def _conversation_targets(
        self,
        count: int,
        ids: list[str] | None,
        *,
        types: tuple[str, ...] = ("conversation",),
        include_trashed: bool = False,
        where: Callable[[Conversation], bool] | None = None,
    ) -> list[Conversation]:
        candidates = [
            c
            for c in self.live_conversations(types=types, include_trashed=include_trashed)
            if where is None or where(c)
        ]
        return self._choose(candidates, count, ids, "conversations")

    def _mutate_new_inbound(self, count: int, ids: list[str] | None, params: dict[str, Any]) -> dict:
        chosen = self._conversation_targets(count, ids)
        events, messages = [], []
        for conv in chosen:
            message, at = self._add_message(conv, inbound=True, author=None)
            messages.append(message.id)
            events.append(
                self._emit(
                    "inbound",
                    conv,
                    "message",
                    message.id,
                    "inboxes",
                    [conv.inbox_id] if conv.inbox_id else [],
                    at,
                ).id
            )
        return {"ids": [c.id for c in chosen], "events": events, "messages": messages}

    def _mutate_new_out_reply(self, count: int, ids: list[str] | None, params: dict[str, Any]) -> dict:
        users = self._users()
        if not users:
            raise MutationError("replies need at least one teammate")
        chosen = self._conversation_targets(count, ids, where=lambda c: bool(c.message_ids))
        events, messages = [], []
        for conv in chosen:
            author = conv.assignee_id or self.rng.choice(users)
            message, at = self._add_message(conv, inbound=False, author=author)
            messages.append(message.id)
            events.append(self._emit("out_reply", conv, "message", message.id, "teammate", author, at).id)
        return {"ids": [c.id for c in chosen], "events": events, "messages": messages}

    def _mutate_add_comments(self, count: int, ids: list[str] | None, params: dict[str, Any]) -> dict:
        teammates = [t.id for t in self.data.teammates.values()]
        if not teammates:
            raise MutationError("comments need at least one teammate")
        chosen = self._conversation_targets(count, ids, types=("conversation", "discussion", "task"))
        events, comments = [], []
        users = self._users()
        for conv in chosen:
            at = self.stamp()
            author = self.rng.choice(teammates)
            comment = Comment(
                id=self.data.next_id("com"),
                conversation_id=conv.id,
                author_id=author,
                posted_at=at,
                seed=self.rng.getrandbits(48),
                mentions=[self.rng.choice(users)] if users and self.rng.random() < 0.3 else [],
            )
            self.data.comments[comment.id] = comment
            conv.comment_ids.append(comment.id)
            conv.updated_at = at
            self.touch_conversations()
            comments.append(comment.id)
            events.append(self._emit("comment", conv, "comment", comment.id, "teammate", author, at).id)
            if comment.mentions:
                events.append(self._emit("mention", conv, "comment", comment.id, "teammate", author).id)
        return {"ids": [c.id for c in chosen], "events": events, "comments": comments}

    def _mutate_delete_comments(self, count: int, ids: list[str] | None, params: dict[str, Any]) -> dict:
        """Delete the newest comment of conversations that have one; old events still render it as it was."""
        candidates = [c for c in self.data.conversations.values() if c.comment_ids and not c.merged_into]
        chosen = self._choose(candidates, count, ids, "conversations with comments")
        deleted = []
        for conv in chosen:
            deleted.append(conv.comment_ids.pop())
        return {"ids": [c.id for c in chosen], "comments": deleted}

    def _actor(self) -> str | None:
        users = self._users()
        return self.rng.choice(users) if users else None

    def _mutate_tag(self, count: int, ids: list[str] | None, params: dict[str, Any]) -> dict:
        tags = [t.id for t in self.live_tags()]
        if not tags:
            raise MutationError("no tags to apply")
        wanted = params.get("tag_id")
        chosen = self._conversation_targets(
            count,
            ids,
            types=("conversation", "discussion", "task"),
            where=lambda c: (
                len(set(tags) - set(c.tag_ids)) > 0 and (wanted is None or wanted not in c.tag_ids)
            ),
        )
        events = []
        for conv in chosen:
            tag_id = wanted or self.rng.choice(sorted(set(tags) - set(conv.tag_ids)))
            conv.tag_ids.append(tag_id)
            conv.updated_at = self.stamp()
            self.touch_conversations()
            events.append(
                self._emit("tag", conv, "tag", tag_id, "teammate", self._actor(), conv.updated_at).id
            )
        return {"ids": [c.id for c in chosen], "events": events}

    def _mutate_untag(self, count: int, ids: list[str] | None, params: dict[str, Any]) -> dict:
        chosen = self._conversation_targets(
            count, ids, types=("conversation", "discussion", "task"), where=lambda c: bool(c.tag_ids)
        )
        events = []
        for conv in chosen:
            tag_id = self.rng.choice(conv.tag_ids)
            conv.tag_ids.remove(tag_id)
            conv.updated_at = self.stamp()
            self.touch_conversations()
            events.append(
                self._emit("untag", conv, "tag", tag_id, "teammate", self._actor(), conv.updated_at).id
            )
        return {"ids": [c.id for c in chosen], "events": events}

    def _mutate_assign(self, count: int, ids: list[str] | None, params: dict[str, Any]) -> dict:
        users = self._users()
        if not users:
            raise MutationError("no teammates to assign")
        chosen = self._conversation_targets(count, ids)
        events = []
        for conv in chosen:
            choices = [u for u in users if u != conv.assignee_id] or users
            conv.assignee_id = self.rng.choice(choices)
            conv.updated_at = self.stamp()
            self.touch_conversations()
            events.append(
                self._emit(
                    "assign", conv, "teammate", conv.assignee_id, "teammate", self._actor(), conv.updated_at
                ).id
            )
        return {"ids": [c.id for c in chosen], "events": events}

    def _mutate_unassign(self, count: int, ids: list[str] | None, params: dict[str, Any]) -> dict:
        chosen = self._conversation_targets(count, ids, where=lambda c: c.assignee_id is not None)
        events = []
        for conv in chosen:
            previous = conv.assignee_id
            conv.assignee_id = None
            conv.updated_at = self.stamp()
            self.touch_conversations()
            events.append(
                self._emit(
                    "unassign", conv, "teammate", previous, "teammate", self._actor(), conv.updated_at
                ).id
            )
        return {"ids": [c.id for c in chosen], "events": events}

    def _status_change(self, count: int, ids: list[str] | None, kind: str) -> dict:
        where = {
            "archive": lambda c: not c.archived,
            "reopen": lambda c: c.archived,
            "trash": lambda c: not c.trashed,
            "restore": lambda c: c.trashed,
        }[kind]
        chosen = self._conversation_targets(
            count,
            ids,
            types=("conversation", "discussion", "task"),
            include_trashed=kind == "restore",
            where=where,
        )
        events = []
        for conv in chosen:
            if kind == "archive":
                conv.archived = True
            elif kind == "reopen":
                conv.archived = False
            elif kind == "trash":
                conv.trashed = True
            else:
                conv.trashed = False
            conv.updated_at = self.stamp()
            if kind in ("reopen", "restore"):
                conv.bumped_at = conv.updated_at
            self.touch_conversations()
            events.append(self._emit(kind, conv, None, None, "teammate", self._actor(), conv.updated_at).id)
        return {"ids": [c.id for c in chosen], "events": events}

    def _mutate_archive(self, count: int, ids: list[str] | None, params: dict[str, Any]) -> dict:
        return self._status_change(count, ids, "archive")

    def _mutate_reopen(self, count: int, ids: list[str] | None, params: dict[str, Any]) -> dict:
        return self._status_change(count, ids, "reopen")

    def _mutate_trash(self, count: int, ids: list[str] | None, params: dict[str, Any]) -> dict:
        return self._status_change(count, ids, "trash")

    def _mutate_restore(self, count: int, ids: list[str] | None, params: dict[str, Any]) -> dict:
        return self._status_change(count, ids, "restore")

    def _mutate_merge_conversations(self, count: int, ids: list[str] | None, params: dict[str, Any]) -> dict:
        """Merge groups: the first conversation survives and takes the others' messages and comments."""
        candidates = self.live_conversations(types=("conversation",))
        groups: list[list[Conversation]] = []
        if ids is not None:
            groups.append(self._choose(candidates, 0, ids, "conversations"))
        else:
            pool = self.rng.sample(candidates, k=min(len(candidates), count * 3))
            while len(pool) >= 2 and len(groups) < count:
                size = min(len(pool), self.rng.choice((2, 2, 3)))
                groups.append(pool[:size])
                pool = pool[size:]
        merged: dict[str, str] = {}
        events = []
        for group in groups:
            if len(group) < 2:
                raise MutationError("a merge needs at least two conversations")
            survivor = group[0]
            for other in group[1:]:
                for message_id in other.message_ids:
                    self.data.messages[message_id].conversation_id = survivor.id
                for comment_id in other.comment_ids:
                    self.data.comments[comment_id].conversation_id = survivor.id
                survivor.message_ids.extend(other.message_ids)
                survivor.comment_ids.extend(other.comment_ids)
                survivor.message_ids.sort(
                    key=lambda m: (self.data.messages[m].draft, self.data.messages[m].created_at)
                )
                for tag_id in other.tag_ids:
                    if tag_id not in survivor.tag_ids:
                        survivor.tag_ids.append(tag_id)
                other.message_ids, other.comment_ids = [], []
                other.merged_into = survivor.id
                merged[other.id] = survivor.id
            survivor.updated_at = self.stamp()
            self.touch_conversations()
            events.append(
                self._emit(
                    "conversations_merged",
                    survivor,
                    "deleted_conversation_ids",
                    [c.id for c in group[1:]],
                    "teammate",
                    self._actor(),
                    survivor.updated_at,
                ).id
            )
        return {"ids": [g[0].id for g in groups], "merged": merged, "events": events}

    def _mutate_update_conversation_custom_fields(
        self, count: int, ids: list[str] | None, params: dict[str, Any]
    ) -> dict:
        fields = [f for f in self.data.custom_fields.values() if f.scope == "conversation"]
        if not fields:
            raise MutationError("no conversation custom fields defined")
        chosen = self._conversation_targets(count, ids, types=("conversation", "discussion", "task"))
        events = []
        for conv in chosen:
            fld = self.rng.choice(fields)
            conv.custom_fields[fld.name] = _field_value(self.rng, fld, self.data)
            conv.updated_at = self.stamp()
            self.touch_conversations()
            events.append(
                self._emit(
                    "custom_field_updated",
                    conv,
                    "custom_field",
                    self.renderer.custom_field(fld),
                    "teammate",
                    self._actor(),
                    conv.updated_at,
                ).id
            )
        return {"ids": [c.id for c in chosen], "events": events}

    def _mutate_move(self, count: int, ids: list[str] | None, params: dict[str, Any]) -> dict:
        inboxes = list(self.data.inboxes)
        if len(inboxes) < 2:
            raise MutationError("moving needs at least two inboxes")
        chosen = self._conversation_targets(count, ids)
        events = []
        for conv in chosen:
            conv.inbox_id = self.rng.choice([i for i in inboxes if i != conv.inbox_id])
            conv.updated_at = self.stamp()
            self.touch_conversations()
            events.append(
                self._emit(
                    "move",
                    conv,
                    "inboxes",
                    [self.renderer.inbox(self.data.inboxes[conv.inbox_id])],
                    "teammate",
                    self._actor(),
                    conv.updated_at,
                ).id
            )
        return {"ids": [c.id for c in chosen], "events": events}

    # tags ------------------------------------------------------------------------------------------

    def _mutate_rename_tags(self, count: int, ids: list[str] | None, params: dict[str, Any]) -> dict:
        chosen = self._choose(self.live_tags(), count, ids, "tags")
        for tag in chosen:
            tag.name = params.get("name") or f"{tag.name.split(' (')[0]} ({self.rng.choice(words.WORDS)})"
            tag.updated_at = self.stamp()
        return {"ids": [t.id for t in chosen]}

    def _mutate_delete_tags(self, count: int, ids: list[str] | None, params: dict[str, Any]) -> dict:
        """Delete tags: no events; conversations silently lose them; children move to the top level."""
        chosen = self._choose(self.live_tags(), count, ids, "tags")
        gone = {t.id for t in chosen}
        for tag in chosen:
            tag.deleted = True
        for tag in self.data.tags.values():
            if tag.parent_id in gone:
                tag.parent_id = None
        for conv in self.data.conversations.values():
            if gone & set(conv.tag_ids):
                conv.tag_ids = [t for t in conv.tag_ids if t not in gone]
        self.renderer.rebuild_tag_children()
        self.touch_conversations()
        return {"ids": sorted(gone)}

    def _mutate_random_activity(self, count: int, ids: list[str] | None, params: dict[str, Any]) -> dict:
        """A realistic mix of the conversation and contact mutations, ``count`` of them."""
        mix = (
            ("new_inbound", 30),
            ("new_out_reply", 20),
            ("new_conversations", 8),
            ("add_comments", 10),
            ("tag", 6),
            ("untag", 3),
            ("assign", 5),
            ("unassign", 2),
            ("archive", 8),
            ("reopen", 2),
            ("trash", 1),
            ("restore", 1),
            ("update_conversation_custom_fields", 2),
            ("update_contacts", 10),
            ("create_contacts", 2),
        )
        actions = [name for name, _ in mix]
        weights = [weight for _, weight in mix]
        ids_out: list[str] = []
        events: list[str] = []
        performed: dict[str, int] = {}
        for _ in range(count):
            action = self.rng.choices(actions, weights)[0]
            try:
                result = getattr(self, f"_mutate_{action}")(1, None, {})
            except MutationError:
                continue
            performed[action] = performed.get(action, 0) + 1
            ids_out.extend(result.get("ids", []))
            events.extend(result.get("events", []))
        return {"ids": ids_out, "events": events, "performed": performed}


MUTATIONS = (
    "update_contacts",
    "create_contacts",
    "delete_contacts",
    "merge_contacts",
    "new_conversations",
    "new_outbound",
    "new_inbound",
    "new_out_reply",
    "add_comments",
    "delete_comments",
    "tag",
    "untag",
    "assign",
    "unassign",
    "archive",
    "reopen",
    "trash",
    "restore",
    "merge_conversations",
    "update_conversation_custom_fields",
    "move",
    "rename_tags",
    "delete_tags",
    "random_activity",
)


def _index_move(index: Index, old: tuple[Any, Any] | None, new: tuple[Any, Any], item: Any) -> None:
    """Remove ``old`` (if given) from a sorted index and insert ``new``, keeping the three lists aligned."""
    if old is not None:
        pos = bisect_left(index.keys, old)
        if pos < len(index.keys) and index.keys[pos] == old:
            del index.keys[pos], index.values[pos], index.items[pos]
    pos = bisect_right(index.keys, new)
    index.keys.insert(pos, new)
    index.values.insert(pos, new[0])
    index.items.insert(pos, item)


def _contact_gone(contact: Contact) -> bool:
    return contact.deleted


def _conversation_gone(conv: Conversation) -> bool:
    return conv.merged_into is not None


def _field_value(rng: random.Random, fld: Any, data: Dataset) -> Any:
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
