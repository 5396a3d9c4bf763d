"""Seeded, deterministic generation of a whole Front company of any size: the dataset and its generator.

Each resource type draws from its own ``random.Random`` sub-stream (``"<seed>:<type>"``), so changing one
size does not reshuffle the other resources. Timestamps are epoch seconds in 2024-2025 with up to three
decimals (some whole seconds, as Front sends). Message and comment bodies are not generated here: records
carry a ``seed`` and ``front_simulator.render`` derives their content on demand.

The steps live beside this module by family (``directory``, ``contacts``, ``conversations``); the resource
table (``front_simulator.resources``) names each row's step and runs them in table order.
"""

from __future__ import annotations

import functools
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from front_simulator import words
from front_simulator.ids import make_id
from front_simulator.model import (
    Account,
    Channel,
    Comment,
    Contact,
    Conversation,
    CustomField,
    Event,
    Inbox,
    Link,
    Message,
    SimpleRecord,
    Tag,
    Team,
    Teammate,
    TicketStatus,
)

SEED_START = 1_704_067_200.0  # 2024-01-01T00:00:00Z
SEED_END = 1_767_139_200.0  # 2025-12-31T00:00:00Z: seeded data always lies in the past
COMPANY_DOMAIN = "dundermifflin.com"

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
    teams: dict[str, Team] = field(default_factory=dict)
    rule: dict[str, Any] = field(default_factory=dict)
    inboxes: dict[str, Inbox] = field(default_factory=dict)
    channels: dict[str, Channel] = field(default_factory=dict)
    custom_fields: dict[str, CustomField] = field(default_factory=dict)
    tags: dict[str, Tag] = field(default_factory=dict)
    contacts: dict[str, Contact] = field(default_factory=dict)
    accounts: dict[str, Account] = field(default_factory=dict)
    links: dict[str, Link] = field(default_factory=dict)
    conversations: dict[str, Conversation] = field(default_factory=dict)
    messages: dict[str, Message] = field(default_factory=dict)
    comments: dict[str, Comment] = field(default_factory=dict)
    events: list[Event] = field(default_factory=list)
    statuses: list[TicketStatus] = field(default_factory=list)  # ticket statuses (ticketing only)
    counters: dict[str, int] = field(default_factory=dict)
    # The records of each simple listed resource (resources.common.simple), by resource name, then id.
    simple: dict[str, dict[str, SimpleRecord]] = field(default_factory=dict)

    def next_id(self, prefix: str) -> str:
        """Allocate the next id of a type (mutations keep counting after the seeded records)."""
        number = self.counters.get(prefix, 0)
        self.counters[prefix] = number + 1
        return make_id(prefix, number)

    def fields_of(self, scope: str) -> list[CustomField]:
        """The custom field definitions of one scope (contact, conversation, account, link, inbox, teammate)."""
        return [f for f in self.custom_fields.values() if f.scope == scope]


def pick(rng: random.Random, seq: Sequence[Any]) -> Any:
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


def field_value(rng: random.Random, fld: CustomField, teammate_emails: list[str], inbox_ids: list[str]) -> Any:
    """A random value of a custom field's type (records key it by the field's name)."""
    if fld.type == "enum":
        return pick(rng, fld.values or [{"value": "x"}])["value"]
    if fld.type == "boolean":
        return rng.random() < 0.5
    if fld.type == "datetime":
        return int(rng.uniform(SEED_START, SEED_END + 86_400 * 365))
    if fld.type == "number":
        return rng.randrange(1, 500) if rng.random() < 0.7 else round(rng.uniform(0, 10_000), 2)
    if fld.type == "teammate":
        return teammate_emails[int(rng.random() * len(teammate_emails))] if teammate_emails else None
    if fld.type == "inbox":
        return inbox_ids[int(rng.random() * len(inbox_ids))] if inbox_ids else None
    return " ".join(pick(rng, words.WORDS) for _ in range(rng.randrange(1, 5)))


def random_field_values(rng: random.Random, fields: list[CustomField], data: Dataset, share: float) -> dict:
    """Values for about ``share`` of the given fields (mutations and small resources; not a hot path)."""
    emails = [t.email for t in data.teammates.values()]
    inbox_ids = list(data.inboxes)
    return {f.name: field_value(rng, f, emails, inbox_ids) for f in fields if rng.random() < share}


class Generator:
    """Builds a ``Dataset`` for a seed and (normalized) sizes; the table's steps fill it in order."""

    def __init__(self, seed: int, sizes: Mapping[str, float]):
        self.seed = int(seed)
        self.sizes = dict(sizes)
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

    def field_value(self, rng: random.Random, fld: CustomField) -> Any:
        """``field_value`` with the teammate and inbox lists computed once (hot while generating)."""
        return field_value(rng, fld, self.teammate_emails, self.inbox_ids)

    @functools.cached_property
    def teammate_emails(self) -> list[str]:
        return [t.email for t in self.data.teammates.values()]

    @functools.cached_property
    def inbox_ids(self) -> list[str]:
        return list(self.data.inboxes)
