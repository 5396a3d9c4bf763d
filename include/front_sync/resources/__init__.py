"""The one declarative table of Front resources: one entry per resource (model.py says what an entry holds,
columns.py how a column is read, transform.py the pure readers); loaders, operators and DAGs are generic over it.
Adding a resource: an entry here, a migration, and the simulator's entry.

May import only front_sync.config: everything else builds on this package.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from front_sync.resources import transform
from front_sync.resources.columns import (
    ORDINAL,
    derived,
    flag,
    integer,
    json,
    key,
    linked,
    nested_id,
    stamp,
    text,
)
from front_sync.resources.model import (
    CONTACTS_PRIORITY,
    CONVERSATION_FEED,
    CONVERSATIONS_PRIORITY,
    PER_CONVERSATION,
    SUB_RESOURCES_PRIORITY,
    NestedTable,
    Resource,
)

__all__ = ["ALL_RESOURCES", "BY_NAME", "NestedTable", "Resource", "get_resource", "synced"]

CONTACTS = Resource(
    name="contacts",
    path="/contacts",
    fields=(
        key(),
        text("name"),
        text("description"),
        text("avatar_url"),
        flag("is_private"),
        json("links"),
        json("custom_fields"),
        stamp("updated_at"),
    ),
    priority=CONTACTS_PRIORITY,
    cursor_column="updated_at",
    updated_after_param="q[updated_after]",
    updated_before_param="q[updated_before]",
    list_params=MappingProxyType({"sort_by": "updated_at", "sort_order": "asc"}),
    nested=(
        NestedTable(
            "contact_handles",
            "contact_id",
            ("handles",),
            (
                text("source", required=True),
                text("handle", required=True),
                derived("handle_normalized", "text", transform.casefolded),
            ),
            key=("source", "handle"),
        ),
        NestedTable(
            "contact_list_members",
            "contact_id",
            ("lists", "groups"),  # groups: the deprecated name
            (derived("contact_list_id", "text", transform.item_id, ("id",)),),
            key=("contact_list_id",),
        ),
    ),
    match_missing_ids_by_email=True,
    raw_only=("lists[]", "groups[]"),  # the lists' own fields: the contact_lists resource has them
)

CONTACT_LISTS = Resource(
    name="contact_lists",
    path="/contact_lists",
    fields=(key(), text("name"), flag("is_private"), linked("owner_id", "owner")),
)

TAGS = Resource(
    name="tags",
    path="/tags",
    fields=(
        key(),
        text("name"),
        text("description"),
        text("highlight"),
        flag("is_private"),
        flag("is_visible_in_conversation_lists"),
        linked("parent_tag_id", "parent_tag"),  # Front has no parent_tag_id field, only the link
        linked("owner_id", "owner"),
        stamp("created_at"),
        stamp("updated_at"),
    ),
    cursor_column="updated_at",
)

INBOXES = Resource(
    name="inboxes",
    path="/inboxes",
    fields=(
        key(),
        text("name"),
        flag("is_private"),
        flag("is_public"),
        linked("owner_id", "owner"),
        json("custom_fields"),
    ),
)

TEAMMATES = Resource(
    name="teammates",
    path="/teammates",
    fields=(
        key(),
        text("email"),
        text("username"),
        text("first_name"),
        text("last_name"),
        flag("is_admin"),
        flag("is_available"),
        flag("is_blocked"),
        text("type"),  # bots are teammates too: see type
        text("license_type"),
        json("custom_fields"),
    ),
)

CHANNELS = Resource(
    name="channels",
    path="/channels",
    fields=(
        key(),
        text("name"),
        text("address"),
        derived("type", "text", transform.channel_type, ("type", "types")),
        text("send_as"),
        flag("is_private"),
        flag("is_valid"),
        linked("inbox_id", "inbox"),
        linked("owner_id", "owner"),
        integer("undo_send_time", "settings.undo_send_time", "integer"),
        flag("all_teammates_can_reply", "settings.all_teammates_can_reply"),
    ),
)


def _custom_fields(scope: str, endpoint: str) -> Resource:
    """Custom field definitions of one scope; every scope's endpoint feeds front.custom_fields."""
    return Resource(
        name=f"{scope}_custom_fields",
        path=f"/{endpoint}/custom_fields",
        fields=(
            key(),
            derived("scope", "text", lambda record: scope),
            text("name", required=True),
            text("description"),
            text("type"),
            json("values", list_only=True),
        ),
        table_name="custom_fields",
        partition=MappingProxyType({"scope": scope}),
    )


CONTACT_CUSTOM_FIELDS = _custom_fields("contact", "contacts")
CONVERSATION_CUSTOM_FIELDS = _custom_fields("conversation", "conversations")
INBOX_CUSTOM_FIELDS = _custom_fields("inbox", "inboxes")
TEAMMATE_CUSTOM_FIELDS = _custom_fields("teammate", "teammates")
ACCOUNT_CUSTOM_FIELDS = _custom_fields("account", "accounts")
LINK_CUSTOM_FIELDS = _custom_fields("link", "links")

ACCOUNTS = Resource(
    name="accounts",
    path="/accounts",
    fields=(
        key(),
        text("name"),
        text("description"),
        text("logo_url"),
        json("domains"),
        text("external_id"),
        json("custom_fields"),
        stamp("created_at"),
        stamp("updated_at"),
    ),
    cursor_column="updated_at",  # Front has no updated_after filter for accounts: listed in full
)

LINKS = Resource(
    name="links",
    path="/links",
    fields=(key(), text("name"), text("type"), text("external_url"), json("custom_fields")),
)

TEAMS = Resource(name="teams", path="/teams", fields=(key(), text("name")))

CONVERSATION_STATUSES = Resource(
    name="conversation_statuses",
    path="/company/statuses",
    fields=(key(), text("name"), text("category"), text("description"), stamp("created_at"), stamp("updated_at")),
    cursor_column="updated_at",
    optional=True,  # Front answers 404 when the company has no ticketing
)

CONVERSATIONS = Resource(
    name="conversations",
    path="/conversations",
    fields=(
        key(),
        text("type"),
        text("subject"),
        text("status"),  # status 'deleted' is Front's trash
        text("status_id"),
        text("status_category"),
        nested_id("assignee_id", "assignee"),
        text("recipient_handle", "recipient.handle"),
        text("recipient_role", "recipient.role"),
        linked("recipient_contact_id", "contact", field="recipient"),
        flag("is_private"),
        text("description"),
        linked("last_message_id", "last_message"),
        json("ticket_ids"),
        json("custom_fields"),
        stamp("created_at"),
        stamp("updated_at"),
        stamp("waiting_since"),
        stamp("due_at"),
    ),
    flow=CONVERSATION_FEED,
    priority=CONVERSATIONS_PRIORITY,
    raw_only=("metadata", "recipient.name", "tags[]"),  # tags[]: the tags resource has a tag's own fields
    # status_*: only with ticketing on; description, due_at: left out of the conversation inside some events
    sometimes_absent=("status_id", "status_category", "description", "due_at"),
    event_may_omit=("description", "due_at"),  # absent from some events' conversation although set (issue 19)
    cursor_column="updated_at",
    nested=(
        NestedTable(
            "conversation_tags",
            "conversation_id",
            ("tags",),
            (derived("tag_id", "text", transform.item_id, ("id",)), text("name")),
            key=("tag_id",),
        ),
        NestedTable(
            "conversation_links",
            "conversation_id",
            ("links",),
            (
                derived("link_id", "text", transform.item_id, ("id",)),
                text("name"),
                text("type"),
                text("external_url"),
                json("custom_fields"),
            ),
            key=("link_id",),
        ),
        NestedTable(
            "conversation_reminders",
            "conversation_id",
            ("scheduled_reminders",),
            (ORDINAL, linked("owner_id", "owner"), stamp("created_at"), stamp("scheduled_at"), stamp("updated_at")),
            key=("ordinal",),
        ),
    ),
)

# Events that can add or change a conversation's messages (a failed send or a bounce changes a message's state),
# and its comments; a merge moves both to the survivor.
MERGE_EVENT = "conversations_merged"
# Event types known to change only the conversation itself (its status, tags, assignee, inbox, links, fields),
# never its messages or comments. Any type neither here nor in a sub-resource's touched_by (Front adds types:
# call_*, ticket_status_update...) is unknown: its conversation's sub-resources are fetched (skips fail closed,
# issue 19 item 3).
CONVERSATION_ONLY_EVENTS = frozenset(
    {
        "assign",
        "unassign",
        "archive",
        "reopen",
        "trash",
        "restore",
        "tag",
        "untag",
        "move",
        "reminder",
        "custom_field_updated",
        "link_added",
        "link_removed",
    }
)
MESSAGES = Resource(
    name="messages",
    path="/conversations/{parent_id}/messages",
    fields=(
        key(),
        linked("conversation_id", "conversation"),
        text("message_uid"),
        text("type"),
        flag("is_inbound"),
        derived("is_draft", "boolean", transform.message_is_draft, ("is_draft",)),
        text("draft_mode"),
        text("error_type"),
        text("version"),
        nested_id("author_id", "author"),  # null for inbound messages
        linked("replied_to_id", "message_replied_to"),
        text("subject"),
        text("blurb"),
        text("body"),
        text("text"),  # null outside email
        json("metadata"),
        stamp("created_at"),
    ),
    flow=PER_CONVERSATION,
    priority=SUB_RESOURCES_PRIORITY,
    cursor_column="created_at",
    list_params=MappingProxyType({"sort_by": "created_at", "sort_order": "asc"}),
    parent_column="conversation_id",
    raw_only=("signature",),
    sometimes_absent=("error_type", "version", "attachments[].metadata.cid"),  # errors, drafts, inline images
    touched_by=frozenset(
        {"inbound", "outbound", "out_reply", "forward", "sending_error", "message_bounce_error", MERGE_EVENT}
    ),
    event_target="message",
    event_payload_needs=(
        "id",
        "type",
        "created_at",
        "body",
        "recipients",
        "attachments",
        "author",
        "_links.related.conversation",
    ),
    event_payload_trusted=transform.message_is_sent,
    nested=(
        NestedTable(
            "message_recipients",
            "message_id",
            ("recipients",),  # no Front id: keyed by role and handle
            (
                text("role", required=True),
                text("handle", required=True),
                text("name"),
                linked("contact_id", "contact"),
                derived("handle_normalized", "text", transform.casefolded),
            ),
            key=("role", "handle"),
        ),
        NestedTable(
            "message_attachments",
            "message_id",
            ("attachments",),
            (
                derived("attachment_id", "text", transform.item_id, ("id",)),
                text("filename"),
                text("url"),
                text("content_type"),
                integer("size", minimum=0),
                flag("is_inline", "metadata.is_inline"),
                text("cid", "metadata.cid"),
            ),
            key=("attachment_id",),
        ),
    ),
)

COMMENTS = Resource(
    name="comments",
    path="/conversations/{parent_id}/comments",
    fields=(
        key(),
        linked("conversation_id", "conversation"),
        nested_id("author_id", "author"),
        text("body"),
        flag("is_pinned"),
        linked("replied_to_id", "comment_replied_to"),
        derived("attachment_count", "integer", transform.list_length, ("attachments",)),
        stamp("posted_at"),
    ),  # comments carry posted_at, not created_at
    flow=PER_CONVERSATION,
    priority=SUB_RESOURCES_PRIORITY,
    cursor_column="posted_at",
    parent_column="conversation_id",
    touched_by=frozenset({"comment", "mention", MERGE_EVENT}),
    event_target="comment",
    event_payload_needs=("id", "body", "author", "posted_at", "attachments", "_links.related.conversation"),
)

# Every table-backed resource definition the loader knows, in load order (parents before their per-parent lists).
ALL_RESOURCES: tuple[Resource, ...] = (
    TEAMMATES,
    INBOXES,
    CHANNELS,
    CONTACT_LISTS,
    TAGS,
    TEAMS,
    CONVERSATION_STATUSES,
    ACCOUNTS,
    LINKS,
    CONTACT_CUSTOM_FIELDS,
    CONVERSATION_CUSTOM_FIELDS,
    INBOX_CUSTOM_FIELDS,
    TEAMMATE_CUSTOM_FIELDS,
    ACCOUNT_CUSTOM_FIELDS,
    LINK_CUSTOM_FIELDS,
    CONTACTS,
    CONVERSATIONS,
    MESSAGES,
    COMMENTS,
)
BY_NAME: Mapping[str, Resource] = MappingProxyType({r.name: r for r in ALL_RESOURCES})


def synced(flow: str) -> tuple[Resource, ...]:
    """The resources synced a given way (model.LISTED, CONVERSATION_FEED, PER_CONVERSATION), in load order."""
    return tuple(r for r in ALL_RESOURCES if r.flow == flow)


def get_resource(name: str) -> Resource:
    """Look a resource up by name; an unknown name fails with the list of known ones."""
    try:
        return BY_NAME[name]
    except KeyError:
        raise ValueError(f"Unknown Front resource {name!r}; known: {sorted(BY_NAME)}") from None
