"""Rows of the events family: ``/events`` (15 a page, ``q[after]``/``q[before]``/``q[types]``/``q[inboxes]``)
and a conversation's own events (newest first, unfiltered)."""

from __future__ import annotations

from typing import Any

from front_simulator.ids import id_number
from front_simulator.pagination import Index, Window, take_window
from front_simulator.render import Renderer
from front_simulator.table import Filter, Listing, Query, Resource

EVENT_PAGES = {"max_limit": 15, "default_limit": 15}  # Front's events allow at most 15 a page


def find_event(state: Any, event_id: str) -> Any:
    number = id_number("evt", event_id)
    if number is None or number >= len(state.data.events):
        return None
    event = state.data.events[number]
    return event if event.num == number else None


def events_page(state: Any, query: Query) -> Window:
    wanted_types = set(query.filters["types"])
    wanted_inboxes = set(query.filters["inboxes"])
    convs = state.data.conversations
    accept = None
    if wanted_types or wanted_inboxes:

        def accept(event: Any) -> bool:
            if wanted_types and event.type not in wanted_types:
                return False
            if wanted_inboxes:
                conv = convs.get(event.conversation_id)
                return conv is not None and conv.inbox_id in wanted_inboxes
            return True

    return take_window(
        state.event_index,
        descending=query.descending,
        after=query.after,
        limit=query.limit,
        value_above=query.filters["after"],
        value_below=query.filters["before"],
        accept=accept,
        rewind=query.rewind,
    )


EVENTS = Resource(
    name="events",
    render=Renderer.event,
    records=lambda state: state.data.events,
    path="/events",
    get_path="/events/{id}",
    noun="Event",
    listing=Listing(
        **EVENT_PAGES,
        sorts=("created_at",),  # the field itself is emitted_at
        filters=(Filter("after", "timestamp"), Filter("before", "timestamp"), Filter("types"), Filter("inboxes")),
        data_faults=True,
        while_paging="random_activity",
    ),
    page=events_page,
    find=find_event,
)


def conversation_events_page(state: Any, query: Query) -> Window:
    events = [e for e in state.data.events if e.conversation_id == query.parent.id]
    index = Index.build(events, lambda e: (e.emitted_at, e.num))
    return take_window(index, descending=True, after=query.after, limit=query.limit)


CONVERSATION_EVENTS = Resource(
    name="conversation_events",
    render=Renderer.event,
    path="/conversations/{id}/events",
    parent="conversations",
    listing=Listing(**EVENT_PAGES),
    page=conversation_events_page,
)

ROWS = (CONVERSATION_EVENTS, EVENTS)
