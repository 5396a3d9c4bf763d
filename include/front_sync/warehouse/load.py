"""Load batches of Front records: transform, classify with the conflict rules, COPY what changed, one commit each.

Every record of a batch ends in exactly one of OUTCOMES. A batch is written in a few set-based statements:

1. COPY each record's key (id, Front timestamp, content hash) into a temporary table and classify it against the
   stored row with the four conflict rules (classify.sql): stale, conflict, unchanged, updated, else created.
2. New rows are COPYed straight into the target table (COPY inserts in bulk, far cheaper than INSERT ... SELECT);
   changed and conflicting rows are COPYed into a staging table, from which one UPDATE applies the changes
   (guarded by the Front timestamp against concurrent loads) and one INSERT records the conflicts.
3. The children of every row written are replaced: one DELETE and one COPY per child table.

When the previous batch of a table held only new rows (an initial load, a backfill), the next one is first
COPYed as it is, children included, with no classification; a stored id makes the primary key fail, and the
batch is then rolled back to its savepoint and goes through the steps above. Unchanged and stale records never
send more than their key. INSERT ... ON CONFLICT is used only when a concurrent load inserted the same new id
meanwhile: its speculative insertion triples the cost of a bulk insert.

A record one of whose values cannot be typed still loads: that column is null, raw keeps the value, and the
row's untyped_fields lists the field (transform.typed_leniently); "untyped" counts such rows written. Records
that cannot be keyed (no usable id, not an object) are dead-lettered before anything is sent. What only the
database can reject (a constraint, an index limit) is isolated by bisection: the batch is written under a
savepoint; when a data error rolls it back, each half is written again the same way, down to the single bad
record, which is dead-lettered. There is no row-by-row fallback.
"""

from __future__ import annotations

import logging
import queue
import sys
import threading
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import psycopg2
import psycopg2.errors
from psycopg2 import sql

from front_sync.config import WAREHOUSE_SCHEMA
from front_sync.resources import Resource, transform
from front_sync.warehouse import checkpoints, contacts_provisional, dead_letters
from front_sync.warehouse.copy_format import copy_line, copy_lines
from front_sync.warehouse.sql_files import columns, load_sql

log = logging.getLogger(__name__)

OUTCOMES = ("created", "updated", "unchanged", "stale", "conflicts", "dead_lettered")
_BOOKKEEPING = ("untyped_fields", "row_hash", "sync_run_id", "raw")
_SQL_OUTCOME = {"conflict": "conflicts"}
_KEYS = sql.Identifier("_stage_keys")
_NULL = "\\N"
# Errors caused by the data of some record (not by the schema, the connection or the SQL): worth bisecting.
_RECORD_ERRORS = (psycopg2.DataError, psycopg2.IntegrityError, psycopg2.errors.ProgramLimitExceeded,
                  psycopg2.errors.StatementTooComplex)
# UnicodeEncodeError is a ValueError: text the transform produced that UTF-8 cannot hold.
_TRANSFORM_ERRORS = (transform.BadRecord, TypeError, ValueError, AttributeError, KeyError, RecursionError)


@dataclass
class BatchResult:
    """What happened to each record of a batch, and the largest cursor among the records loaded.

    Besides OUTCOMES, counts may hold "untyped" (rows written with untyped fields) and "provisional_merged".
    """

    counts: Counter = field(default_factory=Counter)
    max_cursor: Decimal | None = None

    def add(self, other: BatchResult) -> None:
        """Fold another batch's counts and cursor into this one."""
        self.counts.update(other.counts)
        if other.max_cursor is not None and (self.max_cursor is None or other.max_cursor > self.max_cursor):
            self.max_cursor = other.max_cursor


@dataclass(slots=True)
class Prepared:
    """One record turned into its COPY lines (key, parent row, child rows), ready to stream."""

    id: str
    key_line: bytes               # COPY line of (id, cursor, row_hash) for classification
    line: bytes                   # COPY line of copy_columns(resource)
    children: list[bytes]         # per resource.children: that table's COPY lines (parent id first), joined
    cursor: Decimal | None
    record: Any                   # as received, for a dead letter if the database rejects it
    has_front_id: bool = True     # False when the id was assigned by email matching
    untyped: bool = False         # some field could not be typed (listed in the row's untyped_fields)


def copy_columns(resource: Resource) -> tuple[str, ...]:
    """The columns of a resource's COPY lines: typed columns, bookkeeping (untyped_fields first), raw last."""
    return (*resource.columns, *_BOOKKEEPING)


def _unique(rows: list[tuple], key_positions: tuple[int, ...]) -> list[tuple]:
    """A record's child rows with repeats of a key dropped (first wins), so they COPY without conflicts."""
    if len(rows) < 2:
        return rows
    seen: set[tuple] = set()
    unique = []
    for row in rows:
        key = tuple(row[i] for i in key_positions)
        if key not in seen:
            seen.add(key)
            unique.append(row)
    return unique


def _key_line(record_id: str, cursor: Decimal | None, digest: str) -> bytes:
    """The COPY line of a record's key; ids almost never need escaping, so format it directly when they don't."""
    if "\t" in record_id or "\\" in record_id or "\n" in record_id or "\r" in record_id:
        return copy_line((record_id, cursor, digest))
    return f"{record_id}\t{_NULL if cursor is None else cursor}\t{digest}\n".encode()


def _child_lines(parent_id: str, rows: list[tuple], key_positions: tuple[int, ...]) -> bytes:
    """The COPY lines of one record's rows in one child table (parent id first), joined."""
    if not rows:
        return b""
    if len(rows) == 1:
        return copy_line((parent_id, *rows[0]))
    return b"".join([copy_line((parent_id, *row)) for row in _unique(rows, key_positions)])


def _supersedes(new: Prepared, old: Prepared) -> bool:
    """Whether a later copy of an id in the same batch replaces the earlier one."""
    if new.has_front_id != old.has_front_id:
        return new.has_front_id  # a record Front keyed itself beats one matched by email
    if new.cursor is not None and old.cursor is not None and new.cursor < old.cursor:
        return False
    return True  # newer or same timestamp (or none): the later copy in Front's order wins


def prepare(resource: Resource, records: list[Any], run_id: str,
            assigned_ids: dict[int, str] | None = None) -> tuple[dict[str, Prepared], list, Counter]:
    """Transform records into COPY lines; returns items by id, dead letters (record, error), superseded counts.

    A repeated id within one batch keeps one copy (see _supersedes); each other copy counts as stale when its
    Front timestamp is older than the kept one's, else unchanged. `assigned_ids` gives ids to id-less records.
    A record is typed strictly first (no cost for clean records); only when that raises BadRecord is it typed
    again leniently, which nulls and lists what cannot be typed and still raises for a record without an id.
    """
    cursor_index = resource.columns.index(resource.cursor_column) if resource.cursor_column else None
    row_of, raw_and_hash, line_of = resource.row, transform.raw_and_hash, copy_line  # locals: a hot loop
    children_of = [(child.rows, child.key_positions) for child in resource.children]
    child_rows_of = [child.rows for child in resource.children]
    prepared: dict[str, Prepared] = {}
    dead: list[tuple[Any, str]] = []
    counts: Counter = Counter()
    for index, record in enumerate(records):
        assigned = assigned_ids.get(index) if assigned_ids else None
        try:
            if record.__class__ is not dict:
                raise transform.BadRecord(f"record is not an object: {type(record).__name__}")
            keyed = {**record, "id": assigned} if assigned else record
            try:
                values = row_of(keyed)
                children = [_child_lines(values[0], rows(keyed), key) for rows, key in children_of]
                untyped = None
            except transform.BadRecord:
                values, child_rows, notes = transform.typed_leniently(row_of, child_rows_of, keyed)
                children = [_child_lines(values[0], rows, key)
                            for rows, (_, key) in zip(child_rows, children_of, strict=True)]
                untyped = transform.canonical_json(notes) if notes else None
            raw, digest = raw_and_hash(record)
            record_id = values[0]
            cursor = values[cursor_index] if cursor_index is not None else None
            item = Prepared(record_id, _key_line(record_id, cursor, digest),
                            line_of((*values, untyped, digest, run_id), raw), children, cursor, record,
                            assigned is None, untyped is not None)
        except _TRANSFORM_ERRORS as exc:
            dead.append((record, f"{type(exc).__name__}: {exc}"))
            continue
        if record_id in prepared:
            _keep_one(prepared, counts, item)
        else:
            prepared[record_id] = item
    return prepared, dead, counts


def _keep_one(prepared: dict[str, Prepared], counts: Counter, item: Prepared) -> None:
    """Add an item, or settle which copy of its id stays and count the other one."""
    previous = prepared.get(item.id)
    if previous is None:
        prepared[item.id] = item
        return
    keep, drop = (item, previous) if _supersedes(item, previous) else (previous, item)
    older = drop.cursor is not None and keep.cursor is not None and drop.cursor < keep.cursor
    counts["stale" if older else "unchanged"] += 1
    prepared[item.id] = keep


@dataclass
class PreparedBatch:
    """A batch transformed without the database; id-less contacts wait for their id from it (`id_less`)."""

    records: list[Any]
    prepared: dict[str, Prepared]
    dead: list[tuple[Any, str]]
    counts: Counter
    id_less: list[dict[str, Any]]


def prepare_batch(resource: Resource, records: list[Any], run_id: str) -> PreparedBatch:
    """Everything about a batch that needs no database: safe to run in a worker thread."""
    id_less: list[dict[str, Any]] = []
    keyed = records
    if resource.match_missing_ids_by_email:
        id_less = [r for r in records if isinstance(r, dict) and r.get("id") is None]
        if id_less:
            keyed = [r for r in records if not (isinstance(r, dict) and r.get("id") is None)]
    prepared, dead, counts = prepare(resource, keyed, run_id)
    return PreparedBatch(records, prepared, dead, counts, id_less)


def load_batch(conn, resource: Resource, records: list[Any], run_id: str, *,
               checkpoint: tuple[checkpoints.CheckpointKey, Any] | None = None) -> BatchResult:
    """Load a batch in one transaction and return its outcome counts; bad records go to dead_letters.

    With `checkpoint` = (key, cursor), the cursor is saved in the same transaction, so it is committed exactly
    when the batch is. Anything but a record's data error rolls the whole batch back and raises.
    """
    return write_batch(conn, resource, prepare_batch(resource, records, run_id), run_id, checkpoint=checkpoint)


def load_batches(conn, resource: Resource, batches: Iterable[tuple[list[Any], Any]], run_id: str, *,
                 checkpoint_key: checkpoints.CheckpointKey | None = None, read_ahead: int = 2) -> Iterator[BatchResult]:
    """Load (records, cursor) batches one transaction each, yielding each batch's result after its commit.

    A worker thread pulls the next batches from `batches` (e.g. pages from Front) and transforms them, up to
    `read_ahead` batches ahead, while the current one is written: the database, the transform and the API
    overlap. With `checkpoint_key`, each batch's cursor (when not None) is saved in that batch's transaction.
    """
    ready: queue.Queue = queue.Queue(maxsize=read_ahead)
    stop = threading.Event()

    def produce() -> None:
        """Worker thread: read and transform batches, hand them over in order, then a None end marker."""
        try:
            for records, cursor in batches:
                item = (prepare_batch(resource, records, run_id), cursor)
                while not stop.is_set():
                    try:
                        ready.put(item, timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
        except BaseException as exc:  # handed to the consumer, which re-raises it in the task's thread
            ready.put((_Failed(exc), None))
            return
        ready.put((None, None))

    producer = threading.Thread(target=produce, name=f"prepare_{resource.name}", daemon=True)
    previous_interval = sys.getswitchinterval()
    # The writer thread mostly waits on PostgreSQL; when an answer arrives it must get the GIL back from the
    # transforming thread quickly, or the database idles for up to the default 5 ms switch interval.
    sys.setswitchinterval(min(previous_interval, 0.0005))
    producer.start()
    try:
        while True:
            batch, cursor = ready.get()
            if batch is None:
                return
            if isinstance(batch, _Failed):
                raise batch.error
            save = (checkpoint_key, cursor) if checkpoint_key is not None and cursor is not None else None
            yield write_batch(conn, resource, batch, run_id, checkpoint=save)
    finally:
        stop.set()
        producer.join()
        sys.setswitchinterval(previous_interval)


@dataclass
class _Failed:
    """An exception raised while reading or transforming batches, carried to the consuming thread."""

    error: BaseException


def write_batch(conn, resource: Resource, batch: PreparedBatch, run_id: str, *,
                checkpoint: tuple[checkpoints.CheckpointKey, Any] | None = None) -> BatchResult:
    """The database half of load_batch: ids for id-less contacts, conflict rules, dead letters, one commit.

    The transaction is marked as the sync's own (load/sync_writer.sql), so the local-edit triggers leave it alone.
    """
    if conn.autocommit:
        raise ValueError("the loader needs a connection with autocommit off: each batch is one transaction")
    try:
        with conn.cursor() as cur:
            cur.execute(load_sql("load/sync_writer"))
            dead, counts = list(batch.dead), Counter(batch.counts)
            prepared = dict(batch.prepared)
            if batch.id_less:
                assigned = contacts_provisional.assign_ids(cur, batch.id_less, batch.records)
                extra, extra_dead, extra_counts = prepare(resource, batch.id_less, run_id, assigned)
                for item in extra.values():
                    _keep_one(prepared, counts, item)
                dead.extend(extra_dead)
                counts.update(extra_counts)
            items = list(prepared.values())
            rejected = _apply(cur, resource, items, counts)
            dead.extend((item.record, error) for item, error in rejected)
            dead_letters.write(cur, resource.name, dead, run_id)
            counts["dead_lettered"] += len(dead)
            if checkpoint is not None:
                checkpoints.write(cur, checkpoint[0], checkpoint[1], run_id)
        conn.commit()
    except BaseException:
        conn.rollback()
        raise
    rejected_ids = {item.id for item, _ in rejected}
    cursors = [item.cursor for item in items if item.cursor is not None and item.id not in rejected_ids]
    if dead:
        log.warning("%s: %d record(s) dead-lettered in this batch (see front.dead_letters)", resource.name, len(dead))
    return BatchResult(counts=counts, max_cursor=max(cursors, default=None))


def _apply(cur, resource: Resource, items: list[Prepared], counts: Counter) -> list[tuple[Prepared, str]]:
    """Write items under a savepoint; on a data error, bisect. Returns the items the database rejected."""
    if not items:
        return []
    cur.execute("SAVEPOINT front_sync_batch")
    try:
        outcome = _write(cur, resource, items)
    except _RECORD_ERRORS as exc:
        cur.execute("ROLLBACK TO SAVEPOINT front_sync_batch")
        cur.execute("RELEASE SAVEPOINT front_sync_batch")
        if len(items) == 1:
            return [(items[0], _database_error(exc))]
        middle = len(items) // 2
        return _apply(cur, resource, items[:middle], counts) + _apply(cur, resource, items[middle:], counts)
    cur.execute("RELEASE SAVEPOINT front_sync_batch")
    counts.update(outcome)
    return []


def _database_error(exc: psycopg2.Error) -> str:
    """The database's reason without the DETAIL line (which would repeat row values)."""
    diag = exc.diag
    where = f" (constraint {diag.constraint_name})" if diag.constraint_name else ""
    return f"{type(exc).__name__} [{exc.pgcode}]: {diag.message_primary or exc}{where}"


@dataclass
class _Statements:
    """The identifiers and SQL fragments of one resource's load statements."""

    resource: Resource
    target: sql.Identifier
    stage: sql.Identifier
    staged: tuple[str, ...]
    json_columns: dict[str, str]

    def cursor_sql(self, template: str, without: str) -> sql.Composable:
        """A condition on the Front timestamp column ({c}); `without` for resources that have none."""
        if not self.resource.cursor_column:
            return sql.SQL(without)
        return sql.SQL(template).format(c=sql.Identifier(self.resource.cursor_column))

    def value(self, column: str, alias: str = "s") -> sql.Composable:
        """A staged column as the target's type (jsonb columns are staged as text)."""
        if column in self.json_columns:
            return sql.SQL("{}::jsonb").format(sql.Identifier(alias, column))
        return sql.Identifier(alias, column)

    def assignments(self, source: str) -> sql.Composable:
        """SET list copying every staged column but the id from the `source` alias."""
        return sql.SQL(", ").join(sql.SQL("{} = {}").format(sql.Identifier(c), self.value(c, source))
                                  for c in self.staged[1:])


# Tables whose last batch (in this process) held only new rows: their next batch is first tried as a plain COPY.
_ALL_NEW_LAST_TIME: set[tuple[str, str]] = set()


def _write(cur, resource: Resource, items: list[Prepared]) -> Counter:
    """Classify, write and replace children for one set of items; returns their outcome counts."""
    st = _Statements(resource, sql.Identifier(*resource.table), sql.Identifier(f"_stage_{resource.name}"),
                     copy_columns(resource), _json_columns(cur, resource.table))
    cur.execute(load_sql("load/keys_create", keys=_KEYS))
    cur.execute(load_sql("load/keys_clear", keys=_KEYS))
    if resource.table in _ALL_NEW_LAST_TIME:
        outcome = _write_all_new(cur, st, items)
        if outcome is not None:
            return outcome
    outcome = _classify_and_write(cur, st, items)
    if outcome["created"] == len(items):
        _ALL_NEW_LAST_TIME.add(resource.table)
    else:
        _ALL_NEW_LAST_TIME.discard(resource.table)
    return outcome


def _write_all_new(cur, st: _Statements, items: list[Prepared]) -> Counter | None:
    """Initial loads and backfills bring only new rows: COPY them and their children without classifying.

    Any of the ids already stored makes a primary key fail; the attempt is then rolled back (None is returned)
    and the batch goes through the conflict rules. New rows cannot be stale, unchanged or in conflict.
    """
    cur.execute("SAVEPOINT front_sync_all_new")
    try:
        copy_lines(cur, st.target, st.staged, (item.line for item in items))
        for index, child in enumerate(st.resource.children):
            lines = [item.children[index] for item in items if item.children[index]]
            if lines:
                copy_lines(cur, sql.Identifier(WAREHOUSE_SCHEMA, child.table), (child.parent_column, *child.columns),
                           lines)
    except psycopg2.errors.UniqueViolation:
        cur.execute("ROLLBACK TO SAVEPOINT front_sync_all_new")
        cur.execute("RELEASE SAVEPOINT front_sync_all_new")
        return None
    cur.execute("RELEASE SAVEPOINT front_sync_all_new")
    outcome = Counter(created=len(items))
    _count_untyped(outcome, items)
    if st.resource.match_missing_ids_by_email and contacts_provisional.any_provisional(cur):
        copy_lines(cur, _KEYS, ("id", "cursor", "row_hash"), (item.key_line for item in items))
        outcome["provisional_merged"] = contacts_provisional.merge_into_real(cur, _KEYS)
    return outcome


def _classify_and_write(cur, st: _Statements, items: list[Prepared]) -> Counter:
    """The four conflict rules: classify the keys, then write what is new, changed or in conflict."""
    resource = st.resource
    cur.execute(load_sql("load/plan_index_probes"))
    copy_lines(cur, _KEYS, ("id", "cursor", "row_hash"), (item.key_line for item in items))
    cur.execute(load_sql("load/stage_analyze", stage=_KEYS))
    cur.execute(load_sql(
        "load/classify", keys=_KEYS, table=st.target,
        stale_condition=st.cursor_sql("k.cursor < t.{c}", "FALSE"),
        local_edit_newer=st.cursor_sql(
            "(k.cursor IS NULL OR t.local_updated_at > to_timestamp(k.cursor::double precision))", "TRUE"),
    ))
    cur.execute(load_sql("load/classified", keys=_KEYS))
    outcome_of = dict(cur.fetchall())
    by_id = {item.id: item for item in items}
    tables: list[sql.Identifier] = []
    to_stage = [by_id[i] for i, outcome in outcome_of.items() if outcome in ("updated", "conflict")]
    if to_stage:
        _stage_rows(cur, st, to_stage)
        tables.append(st.stage)
    if "conflict" in outcome_of.values():
        cur.execute(load_sql("load/record_conflicts", stage=st.stage, keys=_KEYS, table=st.target),
                    {"resource": resource.name})
    classified_updated = {i for i, outcome in outcome_of.items() if outcome == "updated"}
    updated = _update_changed(cur, st) if classified_updated else set()
    created = [item for item in items if item.id not in outcome_of]
    inserted, upserted = _insert_created(cur, st, created, tables)
    # Rows a concurrent load wrote meanwhile: the guard kept the newer version, so they count (and stay) stale.
    lost = (classified_updated - updated) | ({item.id for item in created} - set(inserted) - set(upserted))
    _mark(cur, lost, "stale")
    _mark(cur, set(upserted), "updated")
    outcome = Counter(_SQL_OUTCOME.get(o, o) for o in outcome_of.values())
    outcome.update(created=len(inserted), updated=len(upserted) - len(classified_updated - updated),
                   stale=len(lost))
    written = [by_id[i] for i in (*inserted, *updated, *upserted)]
    _count_untyped(outcome, written)
    for index, child in enumerate(resource.children):
        _replace_children(cur, child.table, (child.parent_column, *child.columns), written, index,
                          replaces=bool(updated or upserted))
    if resource.match_missing_ids_by_email and written:
        outcome["provisional_merged"] = contacts_provisional.merge_into_real(cur, _KEYS)
    if tables:
        cur.execute(load_sql("load/stage_drop", tables=sql.SQL(", ").join(tables)))
    return outcome


def _count_untyped(outcome: Counter, written: list[Prepared]) -> None:
    """Count the rows written with untyped fields (only when there are some: clean batches keep their counts)."""
    untyped = sum(1 for item in written if item.untyped)
    if untyped:
        outcome["untyped"] = untyped


def _mark(cur, ids: set[str], outcome: str) -> None:
    """Correct the recorded outcome of a few rows (a concurrent load changed them between classify and write)."""
    if ids:
        cur.execute(load_sql("load/keys_mark", keys=_KEYS), {"ids": sorted(ids), "outcome": outcome})


def _stage_rows(cur, st: _Statements, items: list[Prepared]) -> None:
    """COPY full rows into a staging table shaped like the target (jsonb as text, compressed like the target)."""
    cur.execute(load_sql("load/stage_create", stage=st.stage, table=st.target))
    if st.json_columns:
        cur.execute(load_sql("load/stage_json_as_text", stage=st.stage, alterations=sql.SQL(", ").join(
            sql.SQL("ALTER COLUMN {c} TYPE text{compression}").format(
                c=sql.Identifier(c), compression=sql.SQL(", ALTER COLUMN {} SET COMPRESSION lz4").format(
                    sql.Identifier(c)) if method == "l" else sql.SQL(""))
            for c, method in st.json_columns.items())))
    copy_lines(cur, st.stage, st.staged, (item.line for item in items))


def _update_changed(cur, st: _Statements) -> set[str]:
    """Apply the changed rows; returns the ids updated (a newer version committed meanwhile is left alone)."""
    cur.execute(load_sql(
        "load/update_changed", stage=st.stage, keys=_KEYS, table=st.target, assignments=st.assignments("s"),
        not_older=st.cursor_sql("s.{c} IS NULL OR t.{c} IS NULL OR t.{c} <= s.{c}", "TRUE"),
    ))
    return {row[0] for row in cur.fetchall()}


def _insert_created(cur, st: _Statements, items: list[Prepared],
                    tables: list[sql.Identifier]) -> tuple[list[str], list[str]]:
    """COPY the new rows into the target; returns (ids inserted, ids that turned out to exist and were updated).

    The rows were absent when classified, so only a concurrent load inserting the same id can make the COPY fail;
    then, from a savepoint, the rows go through a staging table and an upsert with the Front-timestamp guard.
    """
    if not items:
        return [], []
    cur.execute("SAVEPOINT front_sync_insert")
    try:
        copy_lines(cur, st.target, st.staged, (item.line for item in items))
    except psycopg2.errors.UniqueViolation as exc:
        if exc.diag.constraint_name != f"{st.target.strings[-1]}_pkey":
            raise
        cur.execute("ROLLBACK TO SAVEPOINT front_sync_insert")
    else:
        cur.execute("RELEASE SAVEPOINT front_sync_insert")
        return [item.id for item in items], []
    cur.execute("RELEASE SAVEPOINT front_sync_insert")
    stage = sql.Identifier(f"_stage_new_{st.resource.name}")
    _stage_rows(cur, _Statements(st.resource, st.target, stage, st.staged, st.json_columns), items)
    tables.append(stage)
    cur.execute(load_sql(
        "load/upsert_created", stage=stage, table=st.target, columns=columns(st.staged),
        values=sql.SQL(", ").join(st.value(c) for c in st.staged),
        assignments=sql.SQL(", ").join(sql.SQL("{c} = excluded.{c}").format(c=sql.Identifier(c))
                                       for c in st.staged[1:]),
        not_older=st.cursor_sql("excluded.{c} IS NULL OR t.{c} IS NULL OR t.{c} <= excluded.{c}", "TRUE"),
    ))
    rows = cur.fetchall()
    return [i for i, inserted in rows if inserted], [i for i, inserted in rows if not inserted]


_JSON_COLUMNS: dict[tuple[str, str], dict[str, str]] = {}


def _json_columns(cur, table: tuple[str, str]) -> dict[str, str]:
    """The jsonb columns of a table and their compression ('l' = lz4), read once per process."""
    # Once is enough: the schema is versioned with this code and migrated before any load.
    if table not in _JSON_COLUMNS:
        cur.execute(load_sql("load/json_columns"), {"schema": table[0], "table": table[1]})
        _JSON_COLUMNS[table] = dict(cur.fetchall())
    return _JSON_COLUMNS[table]


def _replace_children(cur, table_name: str, names: tuple[str, ...], written: list[Prepared], index: int, *,
                      replaces: bool) -> None:
    """Replace the children of the rows just written: delete those of updated rows, COPY what Front sent now.

    A new row has no children, unless an earlier row with its id was deleted by hand (there is no foreign key):
    such leftovers make the COPY fail on the key, and are then deleted too before copying again.
    """
    table = sql.Identifier(WAREHOUSE_SCHEMA, table_name)
    delete = load_sql("load/children_delete", table=table, keys=_KEYS, parent_column=sql.Identifier(names[0]))
    if replaces:
        cur.execute(delete, {"outcomes": ["updated"]})
    lines = [item.children[index] for item in written if item.children[index]]
    if not lines:
        return
    cur.execute("SAVEPOINT front_sync_children")
    try:
        copy_lines(cur, table, names, lines)
    except psycopg2.errors.UniqueViolation as exc:
        if exc.diag.constraint_name != f"{table_name}_pkey":
            raise
        cur.execute("ROLLBACK TO SAVEPOINT front_sync_children")
        cur.execute(delete, {"outcomes": ["created"]})
        copy_lines(cur, table, names, lines)
    cur.execute("RELEASE SAVEPOINT front_sync_children")
