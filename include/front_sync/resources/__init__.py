"""The one declarative table of Front resources, and (transform.py) the pure record -> row functions it names;
loaders, operators and DAGs are generic over it.

May import only front_sync.config: everything else builds on this package.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property, partial
from types import MappingProxyType
from typing import Any

from front_sync.config import WAREHOUSE_SCHEMA
from front_sync.resources import transform

_NO_PARAMS: Mapping[str, str] = MappingProxyType({})


@dataclass(frozen=True)
class ChildTable:
    """Rows derived from a parent record, replaced with their parent in the same transaction."""

    table: str                                   # front.<table>
    parent_column: str                           # column holding the parent's id
    columns: tuple[str, ...]                     # copied columns after the parent column
    rows: Callable[[dict[str, Any]], list[tuple]]
    key: tuple[str, ...]                         # with parent_column, the table's primary key

    @cached_property
    def key_positions(self) -> tuple[int, ...]:
        """Where the key columns sit in a row of `columns`."""
        return tuple(self.columns.index(c) for c in self.key)


@dataclass(frozen=True)
class Resource:
    """A Front resource: where to list it, how it maps to its table, and how it is read incrementally."""

    name: str                                    # Variable front_sync.watermark.<name>, task sync_<name>
    path: str                                    # list endpoint; {parent_id} for per-parent lists
    columns: tuple[str, ...]                     # typed columns, the first is the primary key "id"
    row: Callable[[dict[str, Any]], tuple]       # record -> values of `columns`
    cursor_column: str | None = None             # Front timestamp column: stale checks and the watermark
    updated_after_param: str | None = None       # server-side lower bound (exclusive), None = full refresh only
    updated_before_param: str | None = None      # server-side upper bound (exclusive)
    list_params: Mapping[str, str] = field(default_factory=lambda: _NO_PARAMS)
    children: tuple[ChildTable, ...] = ()
    table_name: str | None = None                # when several endpoints feed one table (custom fields)
    partition: Mapping[str, str] = field(default_factory=lambda: _NO_PARAMS)  # rows this endpoint owns
    parent: str | None = None                    # listed per record of this resource ({parent_id})
    # Front sends some contacts without an id (only handles): match them by email, else keep them provisional.
    match_missing_ids_by_email: bool = False

    @property
    def table(self) -> tuple[str, str]:
        """(schema, table) of the rows."""
        return (WAREHOUSE_SCHEMA, self.table_name or self.name)

    @property
    def incremental(self) -> bool:
        """Whether Front can list only what changed since a timestamp."""
        return self.updated_after_param is not None


CONTACTS = Resource(
    name="contacts",
    path="/contacts",
    columns=("id", "name", "description", "avatar_url", "is_private", "links", "custom_fields", "updated_at"),
    row=transform.contact_row,
    cursor_column="updated_at",
    updated_after_param="q[updated_after]",
    updated_before_param="q[updated_before]",
    list_params=MappingProxyType({"sort_by": "updated_at", "sort_order": "asc"}),
    children=(
        ChildTable("contact_handles", "contact_id", ("source", "handle", "handle_normalized"),
                   transform.contact_handle_rows, key=("source", "handle")),
        ChildTable("contact_list_members", "contact_id", ("contact_list_id",), transform.contact_list_member_rows,
                   key=("contact_list_id",)),
    ),
    match_missing_ids_by_email=True,
)

CONTACT_LISTS = Resource(
    name="contact_lists",
    path="/contact_lists",
    columns=("id", "name", "is_private", "owner_id"),
    row=transform.contact_list_row,
)

TAGS = Resource(
    name="tags",
    path="/tags",
    columns=("id", "name", "description", "highlight", "is_private", "is_visible_in_conversation_lists",
             "parent_tag_id", "owner_id", "created_at", "updated_at"),
    row=transform.tag_row,
    cursor_column="updated_at",
)

INBOXES = Resource(
    name="inboxes",
    path="/inboxes",
    columns=("id", "name", "is_private", "is_public", "owner_id", "custom_fields"),
    row=transform.inbox_row,
)

TEAMMATES = Resource(
    name="teammates",
    path="/teammates",
    columns=("id", "email", "username", "first_name", "last_name", "is_admin", "is_available", "is_blocked",
             "type", "license_type", "custom_fields"),
    row=transform.teammate_row,
)

CHANNELS = Resource(
    name="channels",
    path="/channels",
    columns=("id", "name", "address", "type", "send_as", "is_private", "is_valid", "inbox_id", "owner_id",
             "undo_send_time", "all_teammates_can_reply"),
    row=transform.channel_row,
)


def _custom_fields(scope: str, endpoint: str) -> Resource:
    """Custom field definitions of one scope; every scope's endpoint feeds front.custom_fields."""
    return Resource(
        name=f"{scope}_custom_fields",
        path=f"/{endpoint}/custom_fields",
        columns=("id", "scope", "name", "description", "type", "values"),
        row=partial(transform.custom_field_row, scope=scope),
        table_name="custom_fields",
        partition=MappingProxyType({"scope": scope}),
    )


CONTACT_CUSTOM_FIELDS = _custom_fields("contact", "contacts")
CONVERSATION_CUSTOM_FIELDS = _custom_fields("conversation", "conversations")
INBOX_CUSTOM_FIELDS = _custom_fields("inbox", "inboxes")
TEAMMATE_CUSTOM_FIELDS = _custom_fields("teammate", "teammates")
ACCOUNT_CUSTOM_FIELDS = _custom_fields("account", "accounts")
LINK_CUSTOM_FIELDS = _custom_fields("link", "links")

CONVERSATIONS = Resource(
    name="conversations",
    path="/conversations",
    columns=("id", "type", "subject", "status", "status_id", "status_category", "assignee_id",
             "recipient_handle", "recipient_role", "recipient_contact_id", "is_private", "description",
             "last_message_id", "ticket_ids", "custom_fields", "created_at", "updated_at", "waiting_since",
             "due_at"),
    row=transform.conversation_row,
    cursor_column="updated_at",
    children=(
        ChildTable("conversation_tags", "conversation_id", ("tag_id", "name"), transform.conversation_tag_rows,
                   key=("tag_id",)),
        ChildTable("conversation_links", "conversation_id", ("link_id", "name", "type", "external_url",
                                                             "custom_fields"), transform.conversation_link_rows,
                   key=("link_id",)),
        ChildTable("conversation_reminders", "conversation_id",
                   ("ordinal", "owner_id", "created_at", "scheduled_at", "updated_at"),
                   transform.conversation_reminder_rows, key=("ordinal",)),
    ),
)

MESSAGES = Resource(
    name="messages",
    path="/conversations/{parent_id}/messages",
    columns=("id", "conversation_id", "message_uid", "type", "is_inbound", "is_draft", "draft_mode", "error_type",
             "version", "author_id", "replied_to_id", "subject", "blurb", "body", "text", "metadata",
             "created_at"),
    row=transform.message_row,
    cursor_column="created_at",
    parent="conversations",
    children=(
        ChildTable("message_recipients", "message_id", ("role", "handle", "name", "contact_id",
                                                        "handle_normalized"), transform.message_recipient_rows,
                   key=("role", "handle")),
        ChildTable("message_attachments", "message_id", ("attachment_id", "filename", "url", "content_type",
                                                         "size", "is_inline", "cid"),
                   transform.message_attachment_rows, key=("attachment_id",)),
    ),
)

COMMENTS = Resource(
    name="comments",
    path="/conversations/{parent_id}/comments",
    columns=("id", "conversation_id", "author_id", "body", "is_pinned", "replied_to_id", "attachment_count",
             "posted_at"),
    row=transform.comment_row,
    cursor_column="posted_at",
    parent="conversations",
)

# What the generic list-endpoint operator syncs today (dags/front_sync_incremental.py makes one task each).
RESOURCES: tuple[Resource, ...] = (CONTACTS,)

# Every table-backed resource definition the loader knows, in load order (parents before their per-parent lists).
ALL_RESOURCES: tuple[Resource, ...] = (
    TEAMMATES, INBOXES, CHANNELS, CONTACT_LISTS, TAGS,
    CONTACT_CUSTOM_FIELDS, CONVERSATION_CUSTOM_FIELDS, INBOX_CUSTOM_FIELDS, TEAMMATE_CUSTOM_FIELDS,
    ACCOUNT_CUSTOM_FIELDS, LINK_CUSTOM_FIELDS,
    CONTACTS, CONVERSATIONS, MESSAGES, COMMENTS,
)
BY_NAME: Mapping[str, Resource] = MappingProxyType({r.name: r for r in ALL_RESOURCES})


def get_resource(name: str) -> Resource:
    """Look a resource up by name; an unknown name fails with the list of known ones."""
    try:
        return BY_NAME[name]
    except KeyError:
        raise ValueError(f"Unknown Front resource {name!r}; known: {sorted(BY_NAME)}") from None
