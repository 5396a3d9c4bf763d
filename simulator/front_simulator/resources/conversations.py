"""Rows of the conversations family: conversations (301 for merged ids), their messages, comments, inboxes and
followers, and links (``q[types]``, ``sort_by=id``)."""

from __future__ import annotations

from typing import Any

from front_simulator.data import conversations as generation
from front_simulator.pagination import Index, Window, take_window
from front_simulator.render import Renderer
from front_simulator.resources.common import collection, deleted_ids, find_in, sorted_page
from front_simulator.table import Filter, Listing, Query, QueryError, Resource, sizes

CONVERSATION_STATUSES = ("assigned", "unassigned", "archived", "trashed")


def find_conversation(state: Any, conversation_id: str) -> Any:
    """A conversation that was not merged away (merged ones answer 301, see ``survivor_of``)."""
    conv = state.data.conversations.get(conversation_id)
    return conv if conv is not None and not conv.merged_into else None


def survivor_of(state: Any, conversation_id: str) -> str | None:
    """The conversation a merged id now lives in (following merges of merges); None for live or unknown ids."""
    convs = state.data.conversations
    conv = convs.get(conversation_id)
    survivor = None
    seen = 0
    while conv is not None and conv.merged_into and seen < 20:
        survivor = conv.merged_into
        conv = convs.get(survivor)
        seen += 1
    return survivor if conv is not None else None


def live_conversations(state: Any) -> list[Any]:
    """The truth's conversations: every one not merged away, trashed included."""
    return [c for c in state.data.conversations.values() if not c.merged_into]


def check_ticket_filters(state: Any, query: Query) -> None:
    f = query.filters
    if (f["status_categories"] or f["status_ids"]) and not state.data.statuses:
        raise QueryError("status_categories and status_ids need ticketing to be enabled")
    if sum(bool(f[name]) for name in ("statuses", "status_categories", "status_ids")) > 1:
        raise QueryError("use only one of statuses, status_categories or status_ids")


def conversations_page(state: Any, query: Query) -> Window:
    """Most recently bumped first; trashed only when asked for; merged ones keep their slot unseen."""
    wanted = set(query.filters["statuses"])
    ticket_filter = set(query.filters["status_categories"]) | set(query.filters["status_ids"])
    ticket_status_of = state.renderer.ticket_status_of

    def accept(conv: Any) -> bool:
        status = "trashed" if conv.trashed else conv.status
        if ticket_filter:
            ticket = ticket_status_of(conv)
            return ticket is not None and bool({ticket.category, ticket.id} & ticket_filter)
        if wanted:
            return status in wanted
        return status != "trashed"  # like Front's default view: trashed only when asked for

    return take_window(
        state.sorted_index("conversations", "bumped_at", state.data.conversations.values()),
        descending=query.descending,
        after=query.after,
        limit=query.limit,
        accept=accept,
        gone=lambda conv: conv.merged_into is not None,
        rewind=query.rewind,
    )


CONVERSATIONS = Resource(
    name="conversations",
    render=Renderer.conversation,
    records=live_conversations,
    path="/conversations",
    get_path="/conversations/{id}",
    noun="Conversation",
    listing=Listing(
        sorts=("date",),
        filters=(Filter("statuses", choices=CONVERSATION_STATUSES), Filter("status_categories"), Filter("status_ids")),
        data_faults=True,
        while_paging="new_inbound",
        validate=check_ticket_filters,
    ),
    page=conversations_page,
    find=find_conversation,
    survivor=survivor_of,
    sizes=sizes(
        conversations=100,
        messages_per_conversation=5,  # mean of a heavy-tailed (Pareto) distribution
        max_messages_per_conversation=300,
        comments_per_conversation=0.6,  # mean
    ),
    generate=generation.conversations,
)


def messages_page(state: Any, query: Query) -> Window:
    messages = [state.data.messages[m] for m in query.parent.message_ids]
    index = Index.build(messages, lambda m: (m.created_at, m.id))
    return take_window(index, descending=query.descending, after=query.after, limit=query.limit, rewind=query.rewind)


MESSAGES = Resource(
    name="messages",
    render=Renderer.message,
    records=lambda state: [state.data.messages[m] for c in live_conversations(state) for m in c.message_ids],
    path="/conversations/{id}/messages",
    get_path="/messages/{id}",
    noun="Message",
    parent="conversations",
    listing=Listing(sorts=("created_at",), data_faults=True, while_paging="new_inbound"),
    page=messages_page,
    find=find_in("messages"),
)


def conversation_comments(state: Any, query: Query) -> list[Any]:
    comments = [state.data.comments[c] for c in query.parent.comment_ids]
    return sorted(comments, key=lambda c: (c.posted_at, c.id), reverse=True)  # newest first, like Front


COMMENTS = Resource(
    name="comments",
    render=Renderer.comment,
    records=lambda state: [state.data.comments[m] for c in live_conversations(state) for m in c.comment_ids],
    path="/conversations/{id}/comments",
    get_path="/comments/{id}",
    noun="Comment",
    parent="conversations",
    listing=Listing(paginated=False, data_faults=True),
    listed=conversation_comments,
    find=find_in("comments"),
)

CONVERSATION_INBOXES = Resource(
    name="conversation_inboxes",
    render=Renderer.inbox,
    path="/conversations/{id}/inboxes",
    parent="conversations",
    listed=lambda state, query: [state.data.inboxes[i] for i in (query.parent.inbox_id,) if i],
)

CONVERSATION_FOLLOWERS = Resource(
    name="conversation_followers",
    render=Renderer.teammate,
    path="/conversations/{id}/followers",
    parent="conversations",
    listed=lambda state, query: [state.data.teammates[t] for t in (query.parent.assignee_id,) if t],
)


def links_page(state: Any, query: Query) -> Window:
    types = set(query.filters["types"])
    accept = (lambda link: link.type in types) if types else None
    return sorted_page(state, "links", state.data.links.values(), "seq", query, accept=accept)


LINKS = collection(
    "links",
    "Link",
    Renderer.link,
    listing=Listing(sorts=("id",), filters=(Filter("types"),), data_faults=True, while_paging="update_links"),
    page=links_page,
    find=find_in("links"),
    sizes=sizes(links=5),  # besides those attached to conversations
    generate=generation.links,
    deleted=deleted_ids("links"),
)

ROWS = (CONVERSATIONS, MESSAGES, COMMENTS, CONVERSATION_INBOXES, CONVERSATION_FOLLOWERS, LINKS)
