"""What a resource entry says: where Front lists it, its table's columns by name, its nested tables, and how the
sync treats it (how it is read, its task priority, which events touch it). Generic code asks these, never names.

Two words, two things: a *nested table* (NestedTable) holds the rows read from a list inside each record (a
contact's handles, a message's recipients), replaced with their record; a *sub-resource* is a resource Front lists
per conversation (messages, comments: flow PER_CONVERSATION), queued and fetched on its own. Stored and
user-facing names keep the older word "children" for sub-resources (front.children_synced, front.children_verified,
the backfill Param refetch_children): renaming them would break analysts' queries and saved triggers.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from types import MappingProxyType
from typing import Any

from front_sync.config import WAREHOUSE_SCHEMA
from front_sync.resources import transform
from front_sync.resources.columns import ORDINAL, Column, reader_of

NO_PARAMS: Mapping[str, str] = MappingProxyType({})

# How a resource is synced (Resource.flow): listed by its endpoint (in full, or since its watermark when Front
# can filter), found through conversation changes, fetched per queued conversation, or not synced (loader only).
LISTED, CONVERSATION_FEED, PER_CONVERSATION, NOT_SYNCED = "listed", "conversation_feed", "per_conversation", None
# Task priority_weight: foundation first, then contacts, conversations, their sub-resources (messages, comments).
FOUNDATION, CONTACTS_PRIORITY, CONVERSATIONS_PRIORITY, SUB_RESOURCES_PRIORITY = 30, 25, 20, 10


@dataclass(frozen=True)
class NestedTable:
    """Rows read from a list inside the parent record (handles, recipients, tags...), replaced with their parent
    in the same transaction. Each list item is one row of `fields`, read by name; ORDINAL is the item's position.
    """

    table: str  # front.<table>
    parent_column: str  # column holding the parent's id
    source: tuple[str, ...]  # the parent's list field (the first one present is read)
    fields: tuple[Column, ...]  # the columns after the parent column, read from each item
    key: tuple[str, ...]  # with parent_column, the table's primary key

    @cached_property
    def columns(self) -> tuple[str, ...]:
        """Column names, in COPY order after the parent column."""
        return tuple(c.name for c in self.fields)

    @cached_property
    def key_positions(self) -> tuple[int, ...]:
        """Where the key columns sit in a row of `columns`."""
        return tuple(self.columns.index(c) for c in self.key)

    def rows(self, record: dict[str, Any]) -> list[tuple]:
        """One row per list item; an item that is not an object or lacks a key is skipped (noted when lenient)."""
        name = next((f for f in self.source if record.get(f) is not None), self.source[0])
        untyped = transform.lenient_collector()
        readers = [None if c is ORDINAL else c.read for c in self.fields]
        keys = self.key_positions
        rows = []
        for index, item in enumerate(transform.items(record, name, untyped)):
            if untyped is not None and untyped.at_item(name, index, item):
                continue
            row = tuple([index if read is None else read(item) for read in readers])
            if all(row[k] is not None for k in keys):  # else noted: a nested row is keyed by these
                rows.append(row)
        return rows


@dataclass(frozen=True)
class Resource:
    """A Front resource: where to list it, its table's columns by name, and how the sync reads it."""

    name: str  # Variable front_sync.watermark.<name>, task sync_<name>
    path: str  # list endpoint; {parent_id} for per-parent lists
    fields: tuple[Column, ...]  # typed columns by name; the first is the primary key "id"
    flow: str | None = LISTED  # how it is synced (see LISTED ... above)
    priority: int = FOUNDATION  # priority_weight of its task
    cursor_column: str | None = None  # Front timestamp column: stale checks and the watermark
    updated_after_param: str | None = None  # server-side lower bound (exclusive), None = full refresh only
    updated_before_param: str | None = None  # server-side upper bound (exclusive)
    list_params: Mapping[str, Any] = field(default_factory=lambda: NO_PARAMS)
    nested: tuple[NestedTable, ...] = ()  # tables of rows read from lists inside each record
    table_name: str | None = None  # when several endpoints feed one table (custom fields)
    partition: Mapping[str, str] = field(default_factory=lambda: NO_PARAMS)  # rows this endpoint owns
    # Listed per conversation ({parent_id}): the column that holds it. A record listed there that does not link
    # back (the column reads null) gets the {parent_id} it was listed under, with no loader code per resource.
    parent_column: str | None = None
    touched_by: frozenset[str] = frozenset()  # event types after which a conversation's rows must be fetched
    optional: bool = False  # a 404 on the list means the company lacks the feature: empty
    # Events whose target is a whole record of this resource (target._meta.type == event_target): the record is
    # loaded from the event, with no fetch, when it has every path in event_payload_needs (Front's reference calls
    # targets "partial", its spec "full": trust only what is there) and event_payload_trusted(record) holds.
    event_target: str | None = None
    event_payload_needs: tuple[str, ...] = ()
    event_payload_trusted: Callable[[dict[str, Any]], bool] | None = None
    # Front sends some contacts without an id (only handles): match them by email, else keep them provisional.
    match_missing_ids_by_email: bool = False
    # Fields Front sends that are kept in `raw` only, on purpose (dotted paths, each covering what is under it):
    # not schema drift. Every other field no column reads is (resources/drift.py).
    raw_only: tuple[str, ...] = ()
    # Read fields Front leaves out of a record when they do not apply (a whole batch may lack them): a batch
    # without them is not "Front stopped sending" drift.
    sometimes_absent: tuple[str, ...] = ()
    # Fields an event's copy of a record may leave out although they apply (a partial payload): left out there,
    # the stored value stays (absent is not null). Any other field left out means null, as Front omits fields that
    # do not apply (waiting_since); a nested list left out of an event's copy always keeps the stored rows.
    event_may_omit: tuple[str, ...] = ()

    @cached_property
    def columns(self) -> tuple[str, ...]:
        """Typed column names, in COPY order."""
        return tuple(c.name for c in self.fields)

    @cached_property
    def version_column(self) -> str | None:
        """Front's own version stamp of a record (updated_at), when the resource has one: its view time."""
        return "updated_at" if "updated_at" in self.columns else None

    @cached_property
    def absence_sources(self) -> tuple[tuple[str, tuple[tuple[str, ...], ...]], ...]:
        """(column or nested table, the dotted field paths it reads, split): what a partial payload may leave out
        and keep as stored (the columns of event_may_omit, every nested list)."""
        columns = tuple(
            (c.name, tuple(tuple(p.split(".")) for p in c.paths))
            for c in self.fields[1:]
            if set(c.paths) & set(self.event_may_omit)
        )
        return (*columns, *((nested.table, tuple((f,) for f in nested.source)) for nested in self.nested))

    @cached_property
    def row(self) -> Callable[[dict[str, Any]], tuple]:
        """record -> values of `columns` (each read by its column's reader)."""
        return reader_of(self.fields)

    @property
    def table(self) -> tuple[str, str]:
        """(schema, table) of the rows."""
        return (WAREHOUSE_SCHEMA, self.table_name or self.name)

    @property
    def incremental(self) -> bool:
        """Whether Front can list only what changed since a timestamp."""
        return self.updated_after_param is not None
