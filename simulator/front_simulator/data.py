"""Seeded, deterministic generation of a whole Front company of any size.

Each resource type draws from its own ``random.Random`` sub-stream (``"<seed>:<type>"``), so changing one
size does not reshuffle the other resources. Timestamps are epoch seconds in 2024-2025 with up to three
decimals (some whole seconds, as Front sends). Message and comment bodies are not generated here: records
carry a ``seed`` and ``render.py`` derives their content on demand.
"""

from __future__ import annotations

import functools
import gc
import random
from dataclasses import dataclass, field
from itertools import accumulate
from typing import Any

from front_simulator import words
from front_simulator.ids import make_id
from front_simulator.model import (
    Channel,
    Comment,
    Contact,
    ContactList,
    Conversation,
    CustomField,
    Event,
    Inbox,
    Message,
    Tag,
    Teammate,
)

SEED_START = 1_704_067_200.0  # 2024-01-01T00:00:00Z
SEED_END = 1_767_139_200.0  # 2025-12-31T00:00:00Z: seeded data always lies in the past

SIZE_DEFAULTS: dict[str, float] = {
    "contacts": 200,
    "conversations": 100,
    "teammates": 8,
    "inboxes": 4,
    "channels": 12,
    "tags": 20,
    "contact_lists": 5,
    "contact_custom_fields": 6,
    "conversation_custom_fields": 5,
    "messages_per_conversation": 5,  # mean of a heavy-tailed (Pareto) distribution
    "max_messages_per_conversation": 300,
    "comments_per_conversation": 0.6,  # mean
    "ticketing": 0,  # 1: ticket statuses (status_id, status_category, ticket_ids, /company/statuses)
}

CONTACT_FIELD_CATALOGUE: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("Plan", "enum", ("Free", "Starter", "Growth", "Scale")),
    ("VIP", "boolean", ()),
    ("Renewal date", "datetime", ()),
    ("Seats", "number", ()),
    ("Account manager", "teammate", ()),
    ("Région 🌍", "string", ()),
    ("Preferred inbox", "inbox", ()),
    ("Notes", "string", ()),
)
CONVERSATION_FIELD_CATALOGUE: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("Priority", "enum", ("P1", "P2", "P3", "P4")),
    ("Order #", "string", ()),
    ("Escalated", "boolean", ()),
    ("Due", "datetime", ()),
    ("Refund amount", "number", ()),
    ("Routing inbox", "inbox", ()),
    ("Owner", "teammate", ()),
)

# channel type -> message type of its conversations
CHANNEL_MESSAGE_TYPES = {
    "gmail": "email",
    "office365": "email",
    "smtp": "email",
    "imap": "email",
    "front_mail": "email",
    "front_chat": "front_chat",
    "twilio": "sms",
    "twilio_whatsapp": "whatsapp",
    "twitter": "tweet",
    "twitter_dm": "tweet_dm",
    "intercom": "intercom",
    "facebook": "facebook",
    "custom": "custom",
    "talkdesk": "phone-call",
}
CHANNEL_TYPE_CYCLE = (
    "gmail",
    "office365",
    "front_chat",
    "twilio",
    "smtp",
    "custom",
    "twilio_whatsapp",
    "twitter",
    "imap",
    "intercom",
    "facebook",
    "talkdesk",
)
CHANNEL_WEIGHTS = {
    "email": 20.0,
    "front_chat": 3.0,
    "sms": 2.0,
    "custom": 1.5,
    "whatsapp": 1.5,
    "tweet": 1.0,
    "intercom": 0.7,
    "facebook": 0.7,
    "phone-call": 0.5,
    "tweet_dm": 0.5,
}
HANDLE_SOURCE_FOR_TYPE = {
    "email": "email",
    "sms": "phone",
    "whatsapp": "phone",
    "phone-call": "phone",
    "tweet": "twitter",
    "tweet_dm": "twitter",
    "facebook": "facebook",
    "intercom": "intercom",
    "front_chat": "front_chat",
    "custom": "custom",
}


@dataclass
class Dataset:
    """Everything generated for one seed: ordered dicts of records plus the seeded event history."""

    seed: int
    sizes: dict[str, float]
    company: dict[str, str]
    teammates: dict[str, Teammate] = field(default_factory=dict)
    teams: list[str] = field(default_factory=list)
    rule: dict[str, Any] = field(default_factory=dict)
    inboxes: dict[str, Inbox] = field(default_factory=dict)
    channels: dict[str, Channel] = field(default_factory=dict)
    contact_lists: dict[str, ContactList] = field(default_factory=dict)
    custom_fields: dict[str, CustomField] = field(default_factory=dict)
    tags: dict[str, Tag] = field(default_factory=dict)
    contacts: dict[str, Contact] = field(default_factory=dict)
    conversations: dict[str, Conversation] = field(default_factory=dict)
    messages: dict[str, Message] = field(default_factory=dict)
    comments: dict[str, Comment] = field(default_factory=dict)
    events: list[Event] = field(default_factory=list)
    statuses: list[dict[str, Any]] = field(default_factory=list)  # ticket statuses (ticketing only)
    counters: dict[str, int] = field(default_factory=dict)

    def next_id(self, prefix: str) -> str:
        """Allocate the next id of a type (mutations keep counting after the seeded records)."""
        number = self.counters.get(prefix, 0)
        self.counters[prefix] = number + 1
        return make_id(prefix, number)


def normalize_sizes(sizes: dict[str, Any] | None) -> dict[str, float]:
    """Merge requested sizes over the defaults; reject unknown keys and negative values."""
    merged = dict(SIZE_DEFAULTS)
    for key, value in (sizes or {}).items():
        if key not in SIZE_DEFAULTS:
            raise ValueError(f"unknown size {key!r}; known: {', '.join(sorted(SIZE_DEFAULTS))}")
        if value is None or float(value) < 0:
            raise ValueError(f"size {key!r} must be a number >= 0")
        merged[key] = float(value) if key.endswith("_per_conversation") else int(value)
    return merged


def pick(rng: random.Random, seq: Any) -> Any:
    """``rng.choice`` without its overhead: generation makes millions of picks."""
    return seq[int(rng.random() * len(seq))]


def stamp(rng: random.Random, low: float, high: float) -> float:
    """A timestamp in [low, high] with 3 decimals; one in ten is a whole second, as Front sometimes sends."""
    value = rng.uniform(low, high)
    if rng.random() < 0.1:
        return float(int(value))
    return round(value, 3)


def person_name(rng: random.Random) -> tuple[str, str, str]:
    """(full name, first, last); mostly Latin names with accents, some non-Latin, a few with emoji."""
    first = pick(rng, words.FIRST_NAMES)
    last = pick(rng, words.LAST_NAMES)
    roll = rng.random()
    if roll < 0.05:
        full = pick(rng, words.NON_LATIN_NAMES)
        return full, full, ""
    if roll < 0.07:
        return f"{first} {last} {pick(rng, words.EMOJI)}", first, last
    return f"{first} {last}", first, last


@functools.lru_cache(maxsize=4096)
def ascii_slug(text: str) -> str:
    """A crude ASCII local-part for generated e-mail addresses."""
    out = "".join(ch.lower() if ch.isascii() and ch.isalnum() else "" for ch in text)
    return out or "user"


class Generator:
    """Builds a ``Dataset`` for a seed and sizes; one method per resource type, in dependency order."""

    def __init__(self, seed: int, sizes: dict[str, Any] | None = None):
        self.seed = int(seed)
        self.sizes = normalize_sizes(sizes)
        company_rng = self.rng("company")
        self.data = Dataset(
            seed=self.seed,
            sizes=self.sizes,
            company={
                "id": make_id("cmp", company_rng.randrange(10_000)),
                "name": f"{pick(company_rng, words.COMPANIES)} (seed {self.seed})",
            },
        )

    def rng(self, stream: str) -> random.Random:
        return random.Random(f"{self.seed}:{stream}")

    def size(self, key: str) -> int:
        return int(self.sizes[key])

    def build(self) -> Dataset:
        self.ticket_statuses()
        self.teammates()
        self.inboxes_and_channels()
        self.contact_lists()
        self.custom_field_definitions()
        self.tags()
        self.contacts()
        self.conversations()
        return self.data

    # -- small, unpaginated resources -------------------------------------------------------------

    def ticket_statuses(self) -> None:
        if not self.size("ticketing"):
            return
        for name, category, description in (
            ("Open", "open", "New or currently being worked on"),
            ("Waiting", "waiting", "Waiting on the customer"),
            ("Resolved", "resolved", "The request is solved"),
            ("Escalated 🔥", "open", None),
        ):
            self.data.statuses.append(
                {
                    "id": self.data.next_id("sts"),
                    "name": name,
                    "category": category,
                    "description": description,
                    "created_at": SEED_START - 86_400,
                    "updated_at": SEED_START - 86_400,
                }
            )

    def teammates(self) -> None:
        rng = self.rng("teammates")
        data = self.data
        data.teams = [data.next_id("tim") for _ in range(3)]
        data.rule = {
            "id": data.next_id("rul"),
            "name": "Auto-tag VIP senders",
            "actions": ["Tag with VIP", "Assign to the account manager"],
            "is_private": False,
        }
        count = self.size("teammates")
        for number in range(count):
            full, first, last = person_name(rng)
            kind = "user"
            if number == 3:
                kind = "rule"
            elif number == 6:
                kind = "api"
            username = f"{ascii_slug(first)}{ascii_slug(last)}{number}"
            teammate = Teammate(
                id=data.next_id("tea"),
                email=f"{username}@{self.company_domain()}",
                username=username,
                first_name=first if kind == "user" else "Rule" if kind == "rule" else "API",
                last_name=last if kind == "user" else "bot",
                is_admin=number == 0 or rng.random() < 0.15,
                is_available=rng.random() < 0.7,
                is_blocked=number == 5,
                type=kind,
                license_type="full" if kind == "user" and rng.random() < 0.85 else "light",
                custom_fields={},
                bot_source=data.rule["id"] if kind == "rule" else None,
            )
            data.teammates[teammate.id] = teammate

    def company_domain(self) -> str:
        return "dundermifflin.com"

    def inboxes_and_channels(self) -> None:
        rng = self.rng("inboxes")
        data = self.data
        teammate_ids = list(data.teammates)
        for number in range(self.size("inboxes")):
            name = words.INBOX_NAMES[number % len(words.INBOX_NAMES)]
            if number >= len(words.INBOX_NAMES):
                name = f"{name} {number // len(words.INBOX_NAMES) + 1}"
            is_private = number > 0 and rng.random() < 0.15 and bool(teammate_ids)
            owner = (
                f"teammates/{pick(rng, teammate_ids)}"
                if is_private
                else f"teams/{data.teams[number % len(data.teams)]}"
            )
            inbox = Inbox(
                id=data.next_id("inb"),
                name=name,
                is_private=is_private,
                is_public=not is_private,
                owner=owner,
                custom_fields={},
            )
            data.inboxes[inbox.id] = inbox
        inbox_ids = list(data.inboxes)
        for number in range(self.size("channels")):
            ctype = CHANNEL_TYPE_CYCLE[number % len(CHANNEL_TYPE_CYCLE)]
            inbox_id = inbox_ids[number % len(inbox_ids)] if inbox_ids else None
            inbox_name = data.inboxes[inbox_id].name if inbox_id else "Unrouted"
            slug = ascii_slug(inbox_name)
            if CHANNEL_MESSAGE_TYPES[ctype] == "email":
                address = f"{slug}{number}@{self.company_domain()}"
            elif ctype in ("twilio", "twilio_whatsapp", "talkdesk"):
                address = f"+1555{rng.randrange(1_000_000, 9_999_999)}"
            elif ctype == "twitter":
                address = f"@{slug}_hq"
            else:
                address = f"{ctype}:{slug}:{number}"
            is_private = inbox_id is not None and data.inboxes[inbox_id].is_private
            channel = Channel(
                id=data.next_id("cha"),
                name=f"{inbox_name} ({ctype})",
                address=address,
                type=ctype,
                send_as=address,
                undo_send_time=pick(rng, (0, 5, 10, 15, 30, 60)),
                all_teammates_can_reply=None if is_private else rng.random() < 0.3,
                is_private=is_private,
                is_valid=rng.random() < 0.95,
                inbox_id=inbox_id,
                owner=data.inboxes[inbox_id].owner if inbox_id else f"teams/{data.teams[0]}",
            )
            data.channels[channel.id] = channel

    def contact_lists(self) -> None:
        rng = self.rng("contact_lists")
        data = self.data
        teammate_ids = list(data.teammates)
        for number in range(self.size("contact_lists")):
            name = words.CONTACT_LIST_NAMES[number % len(words.CONTACT_LIST_NAMES)]
            if number >= len(words.CONTACT_LIST_NAMES):
                name = f"{name} {number}"
            is_private = bool(teammate_ids) and rng.random() < 0.2
            clist = ContactList(
                id=data.next_id("grp"),
                name=name,
                is_private=is_private,
                owner_id=pick(rng, teammate_ids) if is_private else None,
            )
            data.contact_lists[clist.id] = clist

    def custom_field_definitions(self) -> None:
        data = self.data
        for scope, catalogue, key in (
            ("contact", CONTACT_FIELD_CATALOGUE, "contact_custom_fields"),
            ("conversation", CONVERSATION_FIELD_CATALOGUE, "conversation_custom_fields"),
        ):
            for number in range(self.size(key)):
                name, ftype, values = catalogue[number % len(catalogue)]
                if number >= len(catalogue):
                    name = f"{name} {number // len(catalogue) + 1}"
                fld = CustomField(
                    id=data.next_id("fld"),
                    name=name,
                    description=f"{name} of the {scope}",
                    type=ftype,
                    values=[{"value": v, "label": v} for v in values] if ftype == "enum" else None,
                    scope=scope,
                )
                data.custom_fields[fld.id] = fld

    def tags(self) -> None:
        rng = self.rng("tags")
        data = self.data
        teammate_ids = list(data.teammates)
        created: list[str] = []
        for number in range(self.size("tags")):
            name = words.TAG_NAMES[number % len(words.TAG_NAMES)]
            if number >= len(words.TAG_NAMES):
                name = f"{name} {number // len(words.TAG_NAMES) + 1}"
            parent = pick(rng, created) if created and number >= 3 and rng.random() < 0.45 else None
            is_private = bool(teammate_ids) and rng.random() < 0.08
            created_at = stamp(rng, SEED_START - 86_400 * 365, SEED_START)
            tag = Tag(
                id=data.next_id("tag"),
                name=name,
                description=None if rng.random() < 0.5 else f"Conversations about {name.lower()}",
                highlight=pick(rng, words.HIGHLIGHTS) if rng.random() < 0.6 else None,
                is_private=is_private,
                is_visible_in_conversation_lists=rng.random() < 0.9,
                created_at=created_at,
                updated_at=stamp(rng, created_at, SEED_START),
                parent_id=parent,
                owner_id=pick(rng, teammate_ids) if is_private else None,
            )
            data.tags[tag.id] = tag
            created.append(tag.id)

    # -- contacts -------------------------------------------------------------------------------

    def contact_field_value(self, rng: random.Random, fld: CustomField) -> Any:
        """A random value of a custom field's type, keyed later by the field's name."""
        if fld.type == "enum":
            return pick(rng, fld.values or [{"value": "x"}])["value"]
        if fld.type == "boolean":
            return rng.random() < 0.5
        if fld.type == "datetime":
            return int(rng.uniform(SEED_START, SEED_END + 86_400 * 365))
        if fld.type == "number":
            return rng.randrange(1, 500) if rng.random() < 0.7 else round(rng.uniform(0, 10_000), 2)
        if fld.type == "teammate":
            emails = self.teammate_emails
            return emails[int(rng.random() * len(emails))] if emails else None
        if fld.type == "inbox":
            inbox_ids = self.inbox_ids
            return inbox_ids[int(rng.random() * len(inbox_ids))] if inbox_ids else None
        return " ".join(pick(rng, words.WORDS) for _ in range(rng.randrange(1, 5)))

    @functools.cached_property
    def teammate_emails(self) -> list[str]:
        return [t.email for t in self.data.teammates.values()]

    @functools.cached_property
    def inbox_ids(self) -> list[str]:
        return list(self.data.inboxes)

    def contacts(self) -> None:
        rng = self.rng("contacts")
        data = self.data
        list_ids = list(data.contact_lists)
        fields = [f for f in data.custom_fields.values() if f.scope == "contact"]
        teammate_ids = list(data.teammates)
        span = SEED_END - SEED_START
        for number in range(self.size("contacts")):
            contact_id = data.next_id("crd")
            full, first, last = person_name(rng)
            domain = pick(rng, words.DOMAINS)
            local = f"{ascii_slug(first)}.{ascii_slug(last)}.{number}"
            handles: list[tuple[str, str]] = []
            if rng.random() < 0.92:
                handles.append((f"{local}@{domain}", "email"))
            if rng.random() < 0.35:
                handles.append((f"+1{2_000_000_000 + number * 7 + 1_000_003}", "phone"))
            if rng.random() < 0.08:
                handles.append((f"@{local.replace('.', '_')[:14]}{number}", "twitter"))
            if rng.random() < 0.04:
                handles.append((f"ext-{number}", "custom"))
            if rng.random() < 0.03:
                handles.append((f"chat-{number}", "front_chat"))
            if rng.random() < 0.02:
                handles.append((f"ic-{number}", "intercom"))
            if rng.random() < 0.02:
                handles.append((f"fb-{number}", "facebook"))
            if not handles:
                handles.append((f"{local}@{domain}", "email"))
            created_at = stamp(rng, SEED_START, SEED_START + span * 0.9)
            updated_at = created_at if rng.random() < 0.3 else stamp(rng, created_at, SEED_END)
            is_private = bool(teammate_ids) and rng.random() < 0.04
            contact = Contact(
                id=contact_id,
                name=full,
                description=""
                if rng.random() < 0.7
                else f"{pick(rng, words.COMPANIES)} — "
                + " ".join(pick(rng, words.WORDS) for _ in range(rng.randrange(2, 12))),
                avatar_url=f"avatar-{int(created_at * 1000)}",
                links=[f"https://{domain}/{ascii_slug(last)}"] if rng.random() < 0.2 else [],
                handles=handles,
                list_ids=sorted(rng.sample(list_ids, k=min(len(list_ids), pick(rng, (0, 0, 1, 1, 2)))))
                if list_ids
                else [],
                custom_fields={
                    f.name: self.contact_field_value(rng, f) for f in fields if rng.random() < 0.5
                },
                is_private=is_private,
                owner_id=pick(rng, teammate_ids) if is_private else None,
                created_at=created_at,
                updated_at=updated_at,
            )
            data.contacts[contact_id] = contact

    # -- conversations, messages, comments and their event history -----------------------------

    def message_count(self, rng: random.Random) -> int:
        """Heavy tail: most conversations have 1-3 messages, a few hit the configured maximum."""
        mean = float(self.sizes["messages_per_conversation"])
        cap = self.size("max_messages_per_conversation")
        if mean <= 0 or cap <= 0:
            return 0
        alpha = 1.6
        scale = max(mean - 1.0, 0.0) * (alpha - 1.0)
        return max(1, min(cap, 1 + int((rng.paretovariate(alpha) - 1.0) * scale)))

    def conversations(self) -> None:
        rng = self.rng("conversations")
        data = self.data
        contact_ids = list(data.contacts)
        users = [t.id for t in data.teammates.values() if t.type == "user" and not t.is_blocked]
        all_teammates = list(data.teammates)
        tag_ids = list(data.tags)
        conv_fields = [f for f in data.custom_fields.values() if f.scope == "conversation"]
        channels = list(data.channels.values())
        channel_weights = list(
            accumulate(CHANNEL_WEIGHTS.get(CHANNEL_MESSAGE_TYPES[c.type], 0.5) for c in channels)
        )
        comment_mean = float(self.sizes["comments_per_conversation"])
        events: list[tuple[float, int, Event]] = []
        order = 0

        def emit(
            kind: str,
            at: float,
            conv: str,
            target_kind: str | None,
            target: Any,
            source_kind: str,
            source: Any,
        ) -> None:
            nonlocal order
            order += 1
            events.append((at, order, Event(0, kind, at, conv, target_kind, target, source_kind, source)))

        for _ in range(self.size("conversations")):
            conv_id = data.next_id("cnv")
            roll = rng.random()
            ctype = "conversation" if roll < 0.93 or not users else "discussion" if roll < 0.97 else "task"
            channel = (
                rng.choices(channels, cum_weights=channel_weights)[0]
                if channels and ctype == "conversation"
                else None
            )
            mtype = (
                CHANNEL_MESSAGE_TYPES[channel.type]
                if channel
                else ("internal" if ctype != "conversation" else "email")
            )
            inbox_id = (
                channel.inbox_id if channel else (pick(rng, list(data.inboxes)) if data.inboxes else None)
            )
            contact_id = pick(rng, contact_ids) if contact_ids and ctype == "conversation" else None
            created_at = stamp(rng, SEED_START, SEED_END - 86_400 * 3)
            subject = self.subject(rng)
            n_messages = 0 if ctype == "task" else self.message_count(rng)
            first_inbound = ctype == "conversation" and rng.random() < 0.8
            assignee = pick(rng, users) if users and rng.random() < 0.65 else None
            conv = Conversation(
                id=conv_id,
                type=ctype,
                subject=subject,
                message_type=mtype,
                inbox_id=inbox_id,
                channel_id=channel.id if channel else None,
                contact_id=contact_id,
                recipient_role="from" if first_inbound else "to",
                assignee_id=assignee,
                archived=False,
                trashed=False,
                tag_ids=[],
                custom_fields={},
                is_private=inbox_id is not None and data.inboxes[inbox_id].is_private,
                created_at=created_at,
                updated_at=created_at,
                bumped_at=created_at,
                waiting_since=None,
                message_ids=[],
                comment_ids=[],
                recipient_name_null=rng.random() < 0.15,
            )
            if ctype == "task":
                conv.description = "Follow up: " + " ".join(pick(rng, words.WORDS) for _ in range(6))
                conv.due_at = float(int(created_at + rng.uniform(86_400, 86_400 * 30)))
            at = created_at
            inbound_seen = False
            for index in range(n_messages):
                inbound = (first_inbound if index == 0 else rng.random() < 0.5) and ctype == "conversation"
                author = None if inbound else (assignee or (pick(rng, users) if users else None))
                message = Message(
                    id=data.next_id("msg"),
                    conversation_id=conv_id,
                    type=mtype,
                    is_inbound=inbound,
                    created_at=at,
                    author_id=author,
                    contact_id=contact_id,
                    channel_id=conv.channel_id,
                    seed=rng.getrandbits(48),
                    replied_to=conv.message_ids[-1] if conv.message_ids and rng.random() < 0.7 else None,
                )
                data.messages[message.id] = message
                conv.message_ids.append(message.id)
                if inbound:
                    emit(
                        "inbound",
                        at,
                        conv_id,
                        "message",
                        message.id,
                        "inboxes",
                        [inbox_id] if inbox_id else [],
                    )
                    if conv.waiting_since is None:
                        conv.waiting_since = at
                    inbound_seen = True
                else:
                    kind = "out_reply" if inbound_seen or index > 0 else "outbound"
                    emit(kind, at, conv_id, "message", message.id, "teammate", author)
                    conv.waiting_since = None
                conv.bumped_at = at
                at = min(SEED_END - 60, round(at + rng.expovariate(1 / 7_200.0) + 1, 3))
            # An occasional shared draft at the end of the conversation (Front lists drafts with is_draft).
            if n_messages and users and ctype == "conversation" and rng.random() < 0.04:
                draft = Message(
                    id=data.next_id("msg"),
                    conversation_id=conv_id,
                    type=mtype,
                    is_inbound=False,
                    created_at=at,
                    author_id=assignee or pick(rng, users),
                    contact_id=contact_id,
                    channel_id=conv.channel_id,
                    seed=rng.getrandbits(48),
                    replied_to=conv.message_ids[-1],
                    draft=True,
                )
                data.messages[draft.id] = draft
                conv.message_ids.append(draft.id)
            n_comments = 0
            if comment_mean > 0 and all_teammates:
                while rng.random() < comment_mean / (1.0 + comment_mean) and n_comments < 40:
                    n_comments += 1
            for _ in range(n_comments):
                posted = stamp(rng, created_at, max(created_at, at))
                author = pick(rng, all_teammates)
                comment = Comment(
                    id=data.next_id("com"),
                    conversation_id=conv_id,
                    author_id=author,
                    posted_at=posted,
                    seed=rng.getrandbits(48),
                    is_pinned=rng.random() < 0.05,
                    mentions=[pick(rng, users)] if users and rng.random() < 0.2 else [],
                )
                data.comments[comment.id] = comment
                conv.comment_ids.append(comment.id)
                emit("comment", posted, conv_id, "comment", comment.id, "teammate", author)
                if comment.mentions:
                    emit("mention", posted, conv_id, "comment", comment.id, "teammate", author)
            last = max([at] + [data.comments[c].posted_at for c in conv.comment_ids])
            if tag_ids and rng.random() < 0.6:
                for tag_id in rng.sample(tag_ids, k=min(len(tag_ids), pick(rng, (1, 1, 2, 3)))):
                    conv.tag_ids.append(tag_id)
                    tagged_at = stamp(rng, created_at, last)
                    if rng.random() < 0.3 and data.rule:
                        emit("tag", tagged_at, conv_id, "tag", tag_id, "rule", data.rule["id"])
                    else:
                        emit(
                            "tag",
                            tagged_at,
                            conv_id,
                            "tag",
                            tag_id,
                            "teammate",
                            pick(rng, users) if users else None,
                        )
            for fld in conv_fields:
                if rng.random() < 0.4:
                    conv.custom_fields[fld.name] = self.contact_field_value(rng, fld)
            if rng.random() < 0.05:
                conv.links.append(
                    {
                        "id": data.next_id("top"),
                        "name": f"JIRA-{rng.randrange(100, 9999)}",
                        "type": "app_2f76b9ac738de158",
                        "external_url": f"https://dundermifflin.atlassian.net/browse/"
                        f"PB-{rng.randrange(100, 9999)}",
                    }
                )
            if assignee:
                emit(
                    "assign",
                    stamp(rng, created_at, last),
                    conv_id,
                    "teammate",
                    assignee,
                    "teammate",
                    pick(rng, users),
                )
            status_roll = rng.random()
            closed_at = round(last + rng.uniform(60, 86_400), 3)
            if status_roll < 0.55:
                conv.archived = True
                emit(
                    "archive",
                    closed_at,
                    conv_id,
                    None,
                    None,
                    "teammate",
                    assignee or (pick(rng, users) if users else None),
                )
            elif status_roll < 0.58:
                conv.trashed = True
                emit("trash", closed_at, conv_id, None, None, "teammate", pick(rng, users) if users else None)
            else:
                closed_at = last
                if rng.random() < 0.05 and users:
                    when = round(last + 86_400 * rng.randrange(1, 10), 3)
                    conv.reminders.append(
                        {
                            "owner": pick(rng, users),
                            "created_at": last,
                            "scheduled_at": float(int(when)),
                            "updated_at": last,
                        }
                    )
            conv.updated_at = max(closed_at, last)
            data.conversations[conv_id] = conv
        events.sort(key=lambda item: (item[0], item[1]))
        for number, (_, _, event) in enumerate(events):
            event.num = number
            data.events.append(event)
        data.counters["evt"] = len(events)

    def subject(self, rng: random.Random) -> str:
        template = pick(rng, words.SUBJECT_TEMPLATES)
        w1, w2, w3 = (pick(rng, words.WORDS) for _ in range(3))
        return template.format(
            w1=w1, w2=w2, w3=w3, W1=w1.capitalize(), n=rng.randrange(1000, 99999), e=pick(rng, words.EMOJI)
        )


def generate(seed: int, sizes: dict[str, Any] | None = None) -> Dataset:
    """Generate the whole company for ``seed`` and ``sizes`` (missing sizes take SIZE_DEFAULTS)."""
    # Hundreds of thousands of small objects: the cyclic GC would rescan them over and over.
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return Generator(seed, sizes).build()
    finally:
        if was_enabled:
            gc.enable()
