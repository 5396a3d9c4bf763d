"""The one declarative table of Front resources; loaders, operators and DAGs are generic over it."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from front_sync import transform
from front_sync.config import WAREHOUSE_SCHEMA


@dataclass(frozen=True)
class ChildTable:
    """Rows derived from a parent record, replaced with their parent in the same transaction."""

    table: str                                   # front.<table>
    parent_column: str                           # column holding the parent's id
    columns: tuple[str, ...]                     # copied columns after the parent column
    rows: Callable[[dict[str, Any]], list[tuple]]


@dataclass(frozen=True)
class Resource:
    """A Front resource: where to list it, how it maps to its table, and how it is read incrementally."""

    name: str                                    # -> table front.<name>, Variable front_sync.watermark.<name>
    path: str                                    # list endpoint
    columns: tuple[str, ...]                     # typed columns, the first is the primary key "id"
    row: Callable[[dict[str, Any]], tuple]       # record -> values of `columns`
    cursor_column: str | None = None             # Front timestamp column: stale checks and the watermark
    updated_after_param: str | None = None       # server-side lower bound (exclusive), None = full refresh only
    updated_before_param: str | None = None      # server-side upper bound (exclusive)
    list_params: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    children: tuple[ChildTable, ...] = ()

    @property
    def table(self) -> tuple[str, str]:
        return (WAREHOUSE_SCHEMA, self.name)

    @property
    def incremental(self) -> bool:
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
        ChildTable(
            table="contact_handles",
            parent_column="contact_id",
            columns=("source", "handle", "handle_normalized"),
            rows=transform.contact_handle_rows,
        ),
    ),
)

RESOURCES: tuple[Resource, ...] = (CONTACTS,)
BY_NAME: Mapping[str, Resource] = MappingProxyType({r.name: r for r in RESOURCES})


def get_resource(name: str) -> Resource:
    """Look a resource up by name; an unknown name fails with the list of known ones."""
    try:
        return BY_NAME[name]
    except KeyError:
        raise ValueError(f"Unknown Front resource {name!r}; known: {sorted(BY_NAME)}") from None
