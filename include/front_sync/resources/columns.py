"""Columns by name: each typed column of a table says its name, its PostgreSQL type and how to read it.

A resource (or a nested table) is a tuple of Columns; its row is read column by column, so a column added
anywhere in the tuple cannot shift another's value, and tests/unit/test_resource_columns.py compares every
declared name and type with the migrated table. Readers are transform's field readers (strict, or lenient while
transform.typed_leniently types a record). A dotted field ("recipient.handle") reads inside a nested object.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from front_sync.resources import transform

Reader = Callable[[dict[str, Any]], Any]


@dataclass(frozen=True)
class Column:
    """A typed column: name, PostgreSQL type as format_type() prints it, and the reader of its value.

    `paths` are the record fields the column reads (dotted; each covers what is under it): schema drift
    (resources/drift.py) calls every other field Front sends unmapped. `checked`: a batch whose records all
    lack the field means Front stopped sending it (not for links and derived values, which may be absent).
    """

    name: str
    sql_type: str
    read: Reader
    paths: tuple[str, ...] = ()
    checked: bool = True


def _nested(field: str, reader: Callable[[dict[str, Any], str, str], Any]) -> Reader:
    """A reader of `field`, looking inside nested objects for a dotted path (absent parent: None)."""
    *parents, leaf = field.split(".")
    if not parents:
        return lambda record: reader(record, leaf, "")

    def read(record: dict[str, Any]) -> Any:
        at = ""
        for parent in parents:
            nested = transform.obj(record, parent, at=at)
            if nested is None:
                return None
            record = nested
            at += parent + "."
        return reader(record, leaf, at)

    return read


def key(name: str = "id") -> Column:
    """The record's own Front id: a record without a usable one is a dead letter."""
    return Column(name, "text", transform.record_id, (name,))


def text(name: str, field: str | None = None, *, required: bool = False) -> Column:
    """A text column from a string field."""
    return Column(
        name,
        "text",
        _nested(field or name, lambda r, f, at: transform.text(r, f, required=required, at=at)),
        (field or name,),
    )


def flag(name: str, field: str | None = None) -> Column:
    """A boolean column."""
    return Column(
        name, "boolean", _nested(field or name, lambda r, f, at: transform.boolean(r, f, at=at)), (field or name,)
    )


_INT_RANGE = {"integer": 2**31, "bigint": 2**63}


def integer(name: str, field: str | None = None, sql_type: str = "bigint", *, minimum: int | None = None) -> Column:
    """An integer column; a value outside the column type's range or under `minimum` cannot be typed."""
    high = _INT_RANGE[sql_type]
    low = -high if minimum is None else minimum

    def read(r: dict[str, Any], f: str, at: str) -> int | None:
        return transform.within(transform.integer(r, f, at=at), low, high, f, at)

    return Column(name, sql_type, _nested(field or name, read), (field or name,))


def stamp(name: str, field: str | None = None) -> Column:
    """A Front timestamp (epoch seconds, 3 decimals, exact)."""
    return Column(
        name,
        "numeric(15,3)",
        _nested(field or name, lambda r, f, at: transform.front_timestamp(r.get(f), f, at=at)),
        (field or name,),
    )


def json(name: str, field: str | None = None, *, list_only: bool = False) -> Column:
    """A jsonb column holding a nested value as canonical JSON (`list_only`: anything but a list is untyped)."""

    def read(r: dict[str, Any], f: str, at: str) -> str | None:
        if list_only and not transform.is_list_or_absent(r, f, at):
            return None
        return transform.json_value(r, f)

    return Column(name, "jsonb", _nested(field or name, read), (field or name,))


def linked(name: str, relation: str, field: str | None = None) -> Column:
    """The id behind `_links.related.<relation>` (of a nested object when `field` names one)."""
    if field is None:
        return Column(
            name, "text", lambda r: transform.linked_id(r, relation), (f"_links.related.{relation}",), checked=False
        )
    return Column(
        name,
        "text",
        _nested(f"{field}.{relation}", lambda r, f, at: transform.linked_id(r, f, at=at)),
        (f"{field}._links.related.{relation}",),
        checked=False,
    )


def nested_id(name: str, field: str) -> Column:
    """The id of a nested object such as author or assignee (the object is another resource's record: what else
    it carries is that resource's, so the whole object counts as read)."""
    return Column(name, "text", lambda r: transform.nested_id(r, field), (field,))


def derived(name: str, sql_type: str, read: Reader, reads: tuple[str, ...] = ()) -> Column:
    """A column computed from the record by a function of transform (kept there, pure and tested); `reads` names
    the fields it uses (never checked as missing: a derived value may have fallbacks)."""
    return Column(name, sql_type, read, reads, checked=False)


def reader_of(columns: Sequence[Column]) -> Callable[[dict[str, Any]], tuple]:
    """The function that reads a record into a row of `columns`, in their order."""
    readers = tuple(column.read for column in columns)

    def row(record: dict[str, Any]) -> tuple:
        return tuple([read(record) for read in readers])

    return row


# A nested row's position in its list (see NestedTable).
ORDINAL = Column("ordinal", "integer", lambda item: None, checked=False)
