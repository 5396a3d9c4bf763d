"""In-memory records of the simulated company: compact, mutable, rendered to Front's JSON shapes on demand.

Messages and comments keep only what lists, filters and mutations need; their bodies, recipients and
attachments are derived from a per-record ``seed`` when rendered, so 100,000+ messages stay cheap.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from front_simulator.ids import make_id


@dataclass(slots=True)
class Teammate:
    id: str
    email: str
    username: str
    first_name: str
    last_name: str
    is_admin: bool
    is_available: bool
    is_blocked: bool
    type: str
    license_type: str
    custom_fields: dict[str, Any]
    bot_source: str | None = None  # rule id for bot teammates (``_links.related.botSource``)


@dataclass(slots=True)
class Team:
    id: str
    name: str
    member_ids: list[str]  # teammates; a team's inboxes are those it owns (``Inbox.owner``)


@dataclass(slots=True)
class TicketStatus:
    id: str
    name: str
    category: str  # open | waiting | resolved
    description: str | None
    created_at: float
    updated_at: float


@dataclass(slots=True)
class Inbox:
    id: str
    name: str
    is_private: bool
    is_public: bool
    owner: str  # "teams/tim_x" or "teammates/tea_x"
    custom_fields: dict[str, Any]


@dataclass(slots=True)
class Channel:
    id: str
    name: str
    address: str
    type: str
    send_as: str
    undo_send_time: int
    all_teammates_can_reply: bool | None  # None: omitted (private channels)
    is_private: bool
    is_valid: bool
    inbox_id: str | None
    owner: str


@dataclass(slots=True)
class SimpleRecord:
    """A record of a simple listed resource (``resources.common.simple``): its id, the fields of its JSON after
    ``id`` (in order) and its ``_links.related`` paths on the company host."""

    id: str
    fields: dict[str, Any]
    related: dict[str, str] = field(default_factory=dict)
    deleted: bool = False

    def render(self, base: str, path: str) -> dict[str, Any]:
        """Front's JSON of the record listed at ``path`` (``_links.self`` is ``<path>/<id>``)."""
        links: dict[str, Any] = {"self": f"{base}{path}/{self.id}"}
        if self.related:
            links["related"] = {name: f"{base}{target}" for name, target in self.related.items()}
        return {"_links": links, "id": self.id, **self.fields}


@dataclass(slots=True)
class CustomField:
    id: str
    name: str
    description: str
    type: str
    values: list[dict[str, str]] | None
    scope: str  # contact | conversation | account | link | inbox | teammate


@dataclass(slots=True)
class Tag:
    id: str
    name: str
    description: str | None
    highlight: str | None
    is_private: bool
    is_visible_in_conversation_lists: bool
    created_at: float
    updated_at: float
    parent_id: str | None
    owner_id: str | None
    deleted: bool = False


@dataclass(slots=True)
class Contact:
    id: str
    name: str
    description: str
    avatar_url: str
    links: list[str]
    handles: list[tuple[str, str]]  # (handle, source)
    list_ids: list[str]
    custom_fields: dict[str, Any]
    is_private: bool
    owner_id: str | None
    created_at: float
    updated_at: float
    deleted: bool = False
    merged_into: str | None = None


@dataclass(slots=True)
class Account:
    id: str
    name: str
    description: str | None
    domains: list[str]
    external_id: str | None
    logo: str | None  # ``logo-<ms>`` under the account's URL, or no logo
    custom_fields: dict[str, Any]
    created_at: float
    updated_at: float
    deleted: bool = False


@dataclass(slots=True)
class Link:
    id: str
    seq: int  # creation order: Front's ``sort_by=id``
    name: str
    type: str
    external_url: str
    custom_fields: dict[str, Any] = field(default_factory=dict)
    deleted: bool = False


@dataclass(slots=True)
class Message:
    id: str
    conversation_id: str
    type: str
    is_inbound: bool
    created_at: float
    author_id: str | None
    contact_id: str | None  # the external party (from for inbound, to for outbound)
    channel_id: str | None
    seed: int
    replied_to: str | None = None
    draft: bool = False


@dataclass(slots=True)
class Comment:
    id: str
    conversation_id: str
    author_id: str
    posted_at: float
    seed: int
    is_pinned: bool = False
    replied_to: str | None = None
    mentions: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Conversation:
    id: str
    type: str
    subject: str
    message_type: str
    inbox_id: str | None
    channel_id: str | None
    contact_id: str | None
    recipient_role: str
    assignee_id: str | None
    is_private: bool
    created_at: float
    updated_at: float
    bumped_at: float  # the /conversations order: new messages, reopen and restore bump
    archived: bool = False
    trashed: bool = False
    waiting_since: float | None = None
    tag_ids: list[str] = field(default_factory=list)
    custom_fields: dict[str, Any] = field(default_factory=dict)
    message_ids: list[str] = field(default_factory=list)
    comment_ids: list[str] = field(default_factory=list)
    link_ids: list[str] = field(default_factory=list)
    reminders: list[dict[str, Any]] = field(default_factory=list)
    description: str | None = None
    due_at: float | None = None
    merged_into: str | None = None
    recipient_name_null: bool = False

    @property
    def status(self) -> str:
        """Front's response status: trashed shows as "deleted", the list filter calls it "trashed"."""
        if self.trashed:
            return "deleted"
        if self.archived:
            return "archived"
        return "assigned" if self.assignee_id else "unassigned"


@dataclass(slots=True)
class Event:
    num: int  # the id is derived on demand (``make_id("evt", num)``): events are the most numerous records
    type: str
    emitted_at: float
    conversation_id: str
    target_kind: str | None  # message|comment|tag|teammate|inboxes|deleted_conversation_ids|custom_field
    target_ref: Any  # an id, a list of ids, or a snapshot dict
    source_kind: str  # teammate|inboxes|rule|api
    source_ref: Any
    conversation_snapshot: dict[str, Any] | None = None  # set for events emitted by mutations
    target_snapshot: dict[str, Any] | None = None

    @property
    def id(self) -> str:
        return make_id("evt", self.num)
