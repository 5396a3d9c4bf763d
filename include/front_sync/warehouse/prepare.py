"""The transform side of the loader: Front records become rows ready to COPY, without the database.

Everything here is pure Python (resources' readers, transform's canonical JSON and hash), so the loader runs it in
a worker thread for the next batch while the current one is written (load.load_batches). A record is typed
strictly first (no cost for clean records); only when that raises BadRecord is it typed again leniently, which
nulls and lists what cannot be typed (untyped_fields) and still raises for a record without a usable id. Records
that cannot be keyed are returned as dead letters; NUL characters, which PostgreSQL text cannot hold, are removed.

Each item carries its view time (the version rule, DESIGN.md section 4): the record's updated_at where the
resource has one, else the time the caller's View gives it (the carrying event's emitted_at, a fetch's request
start); none known means the oldest view. A partial view (an event payload) lists the columns and nested tables
whose fields the record left out: those keep their stored values (absent is not null). Views are ordered by
(view time, observation time): the observation time (the View's) breaks ties of equal updated_at, since Front
changes some embedded fields (a tag's name) without moving updated_at.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from operator import itemgetter
from typing import Any

from front_sync.resources import Resource, transform
from front_sync.resources.drift import BatchDrift, observe

_BOOKKEEPING = ("untyped_fields", "row_hash", "sync_run_id", "view_at", "observed_at", "raw")
_MS = Decimal("0.001")
# UnicodeEncodeError is a ValueError: text the transform produced that UTF-8 cannot hold.
_TRANSFORM_ERRORS = (transform.BadRecord, TypeError, ValueError, AttributeError, KeyError, RecursionError)


@dataclass(frozen=True)
class View:
    """When a batch's records were seen in Front: one time for all (`at`), or one per record (`each`, in the
    order of the records); None is unknown (the oldest view). `partial`: payloads that may leave fields out."""

    at: Decimal | None = None
    each: Sequence[Decimal | None] | None = None
    partial: bool = False

    @classmethod
    def requested_now(cls) -> View:
        """The view of a fetch whose request starts now: what it returns is at least this new."""
        return cls(at=Decimal(repr(time.time())).quantize(_MS))

    def of(self, index: int) -> Decimal | None:
        """The view time of the record at `index`."""
        return self.each[index] if self.each is not None else self.at

    def keeping(self, indexes: list[int]) -> View:
        """The view of a subset of the records (by their indexes)."""
        return self if self.each is None else View(self.at, [self.each[i] for i in indexes], self.partial)


UNKNOWN_VIEW = View()


@dataclass(slots=True)
class Prepared:
    """One record turned into its rows (its row, its nested rows), ready to COPY."""

    id: str
    row: tuple  # values of copy_columns(resource); raw (canonical JSON, UTF-8 bytes) last
    nested: list[list[tuple]]  # per resource.nested: that table's rows (parent id first)
    cursor: Decimal | None
    row_hash: str
    record: Any  # as received, for a dead letter if the database rejects it
    has_front_id: bool = True  # False when the id was assigned by email matching
    untyped: bool = False  # some field could not be typed (listed in the row's untyped_fields)
    view_at: Decimal | None = None  # the view time (see the module's docstring); None: oldest
    absent: list[str] | None = None  # columns and nested tables a partial payload left out: kept as stored
    observed_at: Decimal | None = None  # when the view was observed (the View's time): breaks view_at ties

    @property
    def key(self) -> tuple[str, Decimal | None, Decimal | None, Decimal | None, str, list[str] | None]:
        """(id, cursor, view_at, observed_at, row_hash, absent): what classification compares with the stored row."""
        return (self.id, self.cursor, self.view_at, self.observed_at, self.row_hash, self.absent)

    @property
    def version(self) -> tuple[Decimal, Decimal]:
        """The view's rank under the version rule: (view time, observation time), unknown the oldest."""
        return (_known(self.view_at), _known(self.observed_at))


def copy_columns(resource: Resource) -> tuple[str, ...]:
    """The columns of a resource's rows: typed columns, bookkeeping (untyped_fields first), raw last."""
    return (*resource.columns, *_BOOKKEEPING)


def _without_nul(row: tuple) -> tuple:
    """The row with NUL characters removed from its text values (readers remove most; this catches the rest)."""
    for value in row:
        if value.__class__ is str and "\x00" in value:
            return tuple([v.replace("\x00", "") if v.__class__ is str else v for v in row])
    return row


def _nested_rows(parent_id: str, rows: list[tuple], key_of: Callable[[tuple], Any]) -> list[tuple]:
    """One record's rows in one nested table, parent id first, NUL-free, each key once (first wins)."""
    if len(rows) < 2:
        return [(parent_id, *_without_nul(rows[0]))] if rows else []
    seen = set()
    unique = []
    for row in rows:
        row = _without_nul(row)
        key = key_of(row)
        if key not in seen:
            seen.add(key)
            unique.append((parent_id, *row))
    return unique


def _absent_fields(resource: Resource, record: dict[str, Any]) -> list[str] | None:
    """The columns and nested tables whose every field the record leaves out (not null: left out)."""
    absent = [name for name, paths in resource.absence_sources if not any(_has_path(record, p) for p in paths)]
    return absent or None


def _has_path(record: Any, path: tuple[str, ...]) -> bool:
    for part in path:
        if not isinstance(record, dict) or part not in record:
            return False
        record = record[part]
    return True


def _known(at: Decimal | None) -> Decimal:
    """A view or observation time, unknown as the oldest."""
    return Decimal(-1) if at is None else at


def _supersedes(new: Prepared, old: Prepared) -> bool:
    """Whether a later copy of an id in the same batch replaces the earlier one."""
    if new.has_front_id != old.has_front_id:
        return new.has_front_id  # a record Front keyed itself beats one matched by email
    return new.version >= old.version  # newer or same view: the later copy in Front's order wins


def keep_one(prepared: dict[str, Prepared], counts: Counter, item: Prepared) -> None:
    """Add an item, or settle which copy of its id stays and count the other one (stale when older)."""
    previous = prepared.get(item.id)
    if previous is None:
        prepared[item.id] = item
        return
    keep, drop = (item, previous) if _supersedes(item, previous) else (previous, item)
    counts["stale" if drop.version < keep.version else "unchanged"] += 1
    prepared[item.id] = keep


def _typed(row_of, nested_of, nested_rows_of, keyed: dict[str, Any]) -> tuple[tuple, list[list[tuple]], str | None]:
    """A record's row, its nested rows and its untyped_fields: typed strictly first, leniently when that raises
    (fields that cannot be typed are nulled and listed; a record without a usable id still raises)."""
    try:
        values = row_of(keyed)
        return values, [_nested_rows(values[0], rows(keyed), key) for rows, key in nested_of], None
    except transform.BadRecord:
        values, nested_rows, notes = transform.typed_leniently(row_of, nested_rows_of, keyed)
        nested = [_nested_rows(values[0], rows, key) for rows, (_, key) in zip(nested_rows, nested_of, strict=True)]
        return values, nested, transform.canonical_json(notes) if notes else None


def prepare(
    resource: Resource,
    records: list[Any],
    run_id: str,
    assigned_ids: dict[int, str] | None = None,
    view: View = UNKNOWN_VIEW,
    parent_id: str | None = None,
) -> tuple[dict[str, Prepared], list, Counter]:
    """Transform records into rows; returns items by id, dead letters (record, error), superseded counts.

    A repeated id within one batch keeps one copy (see _supersedes); each other copy counts as stale when its
    view is older than the kept one's, else unchanged. `assigned_ids` gives ids to id-less records; `view` says
    when the records were seen (see View); `parent_id`, the id the records were listed under (see
    Resource.parent_column).
    """
    cursor_index = resource.columns.index(resource.cursor_column) if resource.cursor_column else None
    version_index = resource.columns.index(resource.version_column) if resource.version_column else None
    row_of, raw_and_hash = resource.row, transform.raw_and_hash  # locals: a hot loop
    nested_of = [(table.rows, itemgetter(*table.key_positions)) for table in resource.nested]
    nested_rows_of = [table.rows for table in resource.nested]
    parent_index = resource.columns.index(resource.parent_column) if resource.parent_column and parent_id else None
    prepared: dict[str, Prepared] = {}
    dead: list[tuple[Any, str]] = []
    counts: Counter = Counter()
    for index, record in enumerate(records):
        assigned = assigned_ids.get(index) if assigned_ids else None
        try:
            if record.__class__ is not dict:
                raise transform.BadRecord(f"record is not an object: {type(record).__name__}")
            keyed = {**record, "id": assigned} if assigned else record
            values, nested, untyped = _typed(row_of, nested_of, nested_rows_of, keyed)
            raw, digest = raw_and_hash(record)
            values = _without_nul(values)
            if parent_index is not None and values[parent_index] is None:
                values = (*values[:parent_index], parent_id, *values[parent_index + 1 :])
            cursor = values[cursor_index] if cursor_index is not None else None
            observed_at = view.of(index)
            view_at = values[version_index] if version_index is not None else None
            if view_at is None:
                view_at = observed_at
            item = Prepared(
                values[0],
                (*values, untyped, digest, run_id, view_at, observed_at, raw),
                nested,
                cursor,
                digest,
                record,
                assigned is None,
                untyped is not None,
                view_at,
                _absent_fields(resource, record) if view.partial else None,
                observed_at,
            )
        except _TRANSFORM_ERRORS as exc:
            dead.append((record, f"{type(exc).__name__}: {exc}"))
            continue
        keep_one(prepared, counts, item)
    return prepared, dead, counts


@dataclass
class PreparedBatch:
    """A batch transformed without the database; id-less contacts wait for their id from it (`id_less`)."""

    records: list[Any]
    prepared: dict[str, Prepared]
    dead: list[tuple[Any, str]]
    counts: Counter
    id_less: list[dict[str, Any]]
    drift: BatchDrift | None = None
    view: View = UNKNOWN_VIEW


def prepare_batch(
    resource: Resource, records: list[Any], run_id: str, view: View = UNKNOWN_VIEW, parent_id: str | None = None
) -> PreparedBatch:
    """Everything about a batch that needs no database: safe to run in a worker thread. `parent_id`: the id the
    records were listed under (Resource.parent_column)."""
    id_less: list[dict[str, Any]] = []
    keyed = records
    if resource.match_missing_ids_by_email:
        id_less = [r for r in records if isinstance(r, dict) and r.get("id") is None]
        if id_less:
            kept = [i for i, r in enumerate(records) if not (isinstance(r, dict) and r.get("id") is None)]
            keyed, view = [records[i] for i in kept], view.keeping(kept)
    prepared, dead, counts = prepare(resource, keyed, run_id, view=view, parent_id=parent_id)
    return PreparedBatch(records, prepared, dead, counts, id_less, observe(resource, records), view)
