"""The shape of the simulator's one resource table (the rows live in ``front_simulator.resources``).

A ``Resource`` row says everything the generic code needs: its list path and get-by-id path, how a record
renders, how the ground truth lists it, how its list pages (Front's limits, sort options, ``q[...]`` filters,
which data faults apply), its size keys and the step that generates it. ``truth()``, the routes and data
generation loop over the rows; per-resource behaviour is a function the row names, never a name compared
in generic code.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from front_simulator.pagination import Window

# The callables receive the ``SimulatorState`` (and the Renderer for ``render``); typed loosely here so the
# table does not import the state it describes.
Render = Callable[[Any, Any], dict[str, Any]]
Records = Callable[[Any], Iterable[Any]]


class QueryError(ValueError):
    """A list request whose parameters Front would refuse (answered 400)."""


@dataclass(frozen=True)
class Filter:
    """A ``q[<name>]`` parameter: ``timestamp`` (one number, exclusive bound) or ``list`` (repeatable)."""

    name: str
    kind: str = "list"
    choices: tuple[str, ...] = ()  # the accepted values of a list filter; others are a 400


@dataclass(frozen=True)
class Listing:
    """How a list endpoint answers.

    ``paginated``: pages of ``limit`` records (``max_limit`` caps it, ``default_limit`` when absent) with
    ``_pagination.next``; otherwise one list and no ``_pagination``. ``sorts``: accepted ``sort_by`` values
    (with ``sort_order``, default ``default_order``); no sorts means neither parameter is read.
    ``data_faults``: the bad_records fault (and, when paginated, duplicates) applies. ``while_paging``: the
    mutation the mutate_during_paging fault performs before each page (on the parent, for child lists).
    ``validate``: checks that need the company (raises QueryError).
    """

    paginated: bool = True
    max_limit: int = 100
    default_limit: int = 50
    sorts: tuple[str, ...] = ()
    default_order: str = "desc"
    filters: tuple[Filter, ...] = ()
    data_faults: bool = False
    while_paging: str | None = None
    validate: Callable[[Any, Query], None] | None = None


UNPAGINATED = Listing(paginated=False)


@dataclass
class Query:
    """One parsed list request: page size and cursor, order, filters, the parent record of a child list."""

    limit: int = 0
    after: Any = None
    descending: bool = True
    sort_by: str | None = None
    filters: dict[str, Any] = field(default_factory=dict)
    rewind: int = 0
    parent: Any = None


@dataclass(frozen=True)
class Resource:
    """One row of the table.

    Args:
        name: the truth name (``GET /_simulator/truth/<name>``).
        render: the Renderer method that turns a record into Front's JSON.
        records: every current record, in truth order (None: not part of the truth, e.g. tag children).
        path: the list path; ``{id}`` is the parent's id for child lists.
        get_path: the get-by-id path, if Front has one.
        noun: the word in 404 messages ("Contact not found").
        listing: pagination, sorting, filters and data faults of the list.
        page: the page of a paginated list (``(state, query) -> Window``).
        listed: what an unpaginated list shows (default: ``records``).
        find: a record by id for get routes (default: the one in ``records`` with that id).
        render_one: the get route's rendering where it differs from the list's (teams).
        parent: the row whose record ``{id}`` names in ``path``.
        aliases: more list paths answering the same (deprecated ones).
        sizes: the size keys this row's generation reads, with their defaults.
        generate: the generation step (``Generator -> None``), run in table order.
        disabled: a 404 message when the company does not have the resource (ticketing off).
        deleted: ids of deleted records (truth ``deleted_<name>``), for deletion reconciliation tests.
        survivor: for merged ids, the id that answers instead (a 301 to the survivor's same path).
        cache_encoded: keep encoded JSON per record until it changes (the hot path of large listings).
        singleton: the path answers one object, not a list (``/me``).
        hidden_from_oauth: records an OAuth access token does not see (Front: OAuth apps see shared resources
            only, so private inboxes are hidden): their lists and truth(viewer="oauth") leave them out and their
            get route answers 404.
    """

    name: str
    render: Render
    records: Records | None = None
    path: str | None = None
    get_path: str | None = None
    noun: str = "Resource"
    listing: Listing = UNPAGINATED
    page: Callable[[Any, Query], Window] | None = None
    listed: Callable[[Any, Query], Iterable[Any]] | None = None
    find: Callable[[Any, str], Any] | None = None
    render_one: Render | None = None
    parent: str | None = None
    aliases: tuple[str, ...] = ()
    sizes: Mapping[str, float] = field(default_factory=lambda: MappingProxyType({}))
    generate: Callable[[Any], None] | None = None
    disabled: Callable[[Any], str | None] | None = None
    deleted: Callable[[Any], list[str]] | None = None
    survivor: Callable[[Any, str], str | None] | None = None
    cache_encoded: bool = False
    singleton: bool = False
    hidden_from_oauth: Callable[[Any], bool] | None = None

    def visible(self, viewer: str | None, records: Iterable[Any]) -> list[Any]:
        """The records ``viewer`` ("oauth", or None for the static API token) may see."""
        if viewer != "oauth" or self.hidden_from_oauth is None:
            return list(records)
        return [r for r in records if not self.hidden_from_oauth(r)]

    def child_suffix(self) -> str:
        """``/messages`` for ``/conversations/{id}/messages``: what a 301 keeps after the survivor's id."""
        return (self.path or "").split("{id}", 1)[1] if self.parent else ""


def sizes(**defaults: float) -> Mapping[str, float]:
    """A row's size keys and defaults, read-only."""
    return MappingProxyType(defaults)
