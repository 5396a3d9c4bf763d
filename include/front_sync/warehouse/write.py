"""The database side of the loader: prepared items are classified with the conflict rules and written set-wise.

1. COPY each record's key (id, Front timestamp, view time, content hash, fields a partial payload left out) into a
   temporary table and classify it against the stored row with the four conflict rules (classify.sql): stale (an
   older view than the row's view_at: the version rule), conflict, unchanged, updated, else created.
2. New rows are COPYed straight into the target table (COPY inserts in bulk, far cheaper than INSERT ... SELECT);
   changed and conflicting rows are COPYed into a staging table, from which one UPDATE applies the changes
   (guarded by the view time against concurrent loads) and one INSERT records the conflicts. A column or child
   list the payload left out keeps its stored value; unchanged rows seen in a newer view get that view time.
3. The children of every row written are replaced: one DELETE and one COPY per child table.

When the previous batch of a table held only new rows (an initial load, a backfill), the next one is first
COPYed as it is, children included, with no classification; a stored id makes the primary key fail, and the
batch is then rolled back to its savepoint and goes through the steps above. Unchanged and stale records never
send more than their key. INSERT ... ON CONFLICT is used only when a concurrent load inserted the same new id
meanwhile: its speculative insertion triples the cost of a bulk insert.

What only the database can reject (a constraint, an index limit) is isolated by bisection (apply): the items are
written under a savepoint; when a record's data error rolls them back, each half is written again the same way,
down to the single bad record. There is no row-by-row fallback.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import psycopg
from psycopg import errors, sql

from front_sync.config import WAREHOUSE_SCHEMA
from front_sync.resources import ChildTable, Resource
from front_sync.warehouse import contacts_provisional
from front_sync.warehouse.copy_binary import NUMERIC, TEXT, TEXT_ARRAY, column_types, copy_rows
from front_sync.warehouse.prepare import Prepared, copy_columns
from front_sync.warehouse.sql_files import columns, load_sql

_SQL_OUTCOME = {"conflict": "conflicts"}
_KEYS = sql.Identifier("_stage_keys")
_KEY_COLUMNS = ("id", "cursor", "view_at", "row_hash", "_absent")
_KEY_TYPES = (TEXT, NUMERIC, NUMERIC, TEXT, TEXT_ARRAY)
# In the upsert, the fields the record's payload left out (the cast keeps ANY() from reading it as a subquery).
_ABSENT_OF_EXCLUDED = sql.SQL("(SELECT k._absent FROM {} AS k WHERE k.id = excluded.id)::text[]").format(_KEYS)
# Errors caused by the data of some record (not by the schema, the connection or the SQL): worth bisecting.
# UnicodeEncodeError: text that UTF-8 cannot hold, met while a COPY encodes it.
_RECORD_ERRORS = (psycopg.DataError, psycopg.IntegrityError, errors.ProgramLimitExceeded, errors.StatementTooComplex,
                  UnicodeEncodeError)


def apply(cur, resource: Resource, items: list[Prepared], counts: Counter) -> list[tuple[Prepared, str]]:
    """Write items under a savepoint; on a record's data error, bisect. Returns the items rejected, with why."""
    if not items:
        return []
    cur.execute("SAVEPOINT front_sync_batch")
    try:
        outcome = _write(cur, resource, items)
    except _RECORD_ERRORS as exc:
        cur.execute("ROLLBACK TO SAVEPOINT front_sync_batch")
        cur.execute("RELEASE SAVEPOINT front_sync_batch")
        if len(items) == 1:
            return [(items[0], _rejection(exc))]
        middle = len(items) // 2
        return apply(cur, resource, items[:middle], counts) + apply(cur, resource, items[middle:], counts)
    cur.execute("RELEASE SAVEPOINT front_sync_batch")
    counts.update(outcome)
    return []


def _rejection(exc: psycopg.Error | UnicodeEncodeError) -> str:
    """Why a record was rejected, without row values (the DETAIL line and the offending text repeat them)."""
    if isinstance(exc, UnicodeEncodeError):
        return f"UnicodeEncodeError: text is not valid Unicode ({exc.reason})"
    diag = exc.diag
    where = f" (constraint {diag.constraint_name})" if diag.constraint_name else ""
    return f"{type(exc).__name__} [{exc.sqlstate or 'client'}]: {diag.message_primary or exc}{where}"


@dataclass
class _Statements:
    """The identifiers, columns and column types of one resource's load statements."""

    resource: Resource
    target: sql.Identifier
    stage: sql.Identifier
    staged: tuple[str, ...]
    types: list[int]

    def cursor_sql(self, template: str, without: str) -> sql.Composable:
        """A condition on the Front timestamp column ({c}); `without` for resources that have none."""
        if not self.resource.cursor_column:
            return sql.SQL(without)
        return sql.SQL(template).format(c=sql.Identifier(self.resource.cursor_column))

    def assignments(self, source: str, absent: sql.Composable) -> sql.Composable:
        """SET list copying every staged column but the id from the `source` alias; a column the record's
        payload left out (listed in `absent`, an expression) keeps the stored value, and raw is merged then."""
        may_be_absent = {name for name, _ in self.resource.absence_sources}
        kept_keys = sorted({path[0] for _, paths in self.resource.absence_sources for path in paths})
        parts = []
        for c in self.staged[1:]:
            new, old = sql.Identifier(source, c), sql.Identifier("t", c)
            value: sql.Composable
            if c in may_be_absent:
                value = sql.SQL("CASE WHEN {} = ANY({}) THEN {} ELSE {} END").format(sql.Literal(c), absent, old, new)
            elif c == "raw":  # the stored fields a partial payload may leave out, overlaid by what it sent
                value = sql.SQL(
                    "CASE WHEN {absent} IS NULL THEN {new} ELSE (SELECT COALESCE(jsonb_object_agg(e.key, e.value), "
                    "'{{}}'::jsonb) FROM jsonb_each({old}) AS e WHERE e.key = ANY({keys}::text[])) || {new} END"
                ).format(absent=absent, new=new, old=old, keys=sql.Literal(kept_keys))
            else:
                value = new
            parts.append(sql.SQL("{} = {}").format(sql.Identifier(c), value))
        return sql.SQL(", ").join(parts)

    def copy_into(self, cur, table: sql.Identifier, items: list[Prepared]) -> None:
        """COPY the items' rows into the target or a staging table shaped like it."""
        copy_rows(cur, table, self.staged, self.types, (item.row for item in items))


# Tables whose last batch (in this process) held only new rows: their next batch is first tried as a plain COPY.
_ALL_NEW_LAST_TIME: set[tuple[str, str]] = set()


def _write(cur, resource: Resource, items: list[Prepared]) -> Counter:
    """Classify, write and replace children for one set of items; returns their outcome counts."""
    staged = copy_columns(resource)
    types = column_types(cur, resource.table)
    st = _Statements(resource, sql.Identifier(*resource.table), sql.Identifier(f"_stage_{resource.name}"), staged,
                     [types[c] for c in staged])
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


def _copy_keys(cur, items: list[Prepared]) -> None:
    """COPY the items' keys into the keys table."""
    copy_rows(cur, _KEYS, _KEY_COLUMNS, _KEY_TYPES, (item.key for item in items))


def _child_copy(cur, child: ChildTable) -> tuple[sql.Identifier, tuple[str, ...], list[int]]:
    """A child table's identifier, COPY columns (parent id first) and their types."""
    names = (child.parent_column, *child.columns)
    types = column_types(cur, (WAREHOUSE_SCHEMA, child.table))
    return sql.Identifier(WAREHOUSE_SCHEMA, child.table), names, [types[c] for c in names]


def _write_all_new(cur, st: _Statements, items: list[Prepared]) -> Counter | None:
    """Initial loads and backfills bring only new rows: COPY them and their children without classifying.

    Any of the ids already stored makes a primary key fail; the attempt is then rolled back (None is returned)
    and the batch goes through the conflict rules. New rows cannot be stale, unchanged or in conflict.
    """
    cur.execute("SAVEPOINT front_sync_all_new")
    try:
        st.copy_into(cur, st.target, items)
        for index, child in enumerate(st.resource.children):
            if any(item.children[index] for item in items):
                copy_rows(cur, *_child_copy(cur, child), (row for item in items for row in item.children[index]))
    except errors.UniqueViolation:
        cur.execute("ROLLBACK TO SAVEPOINT front_sync_all_new")
        cur.execute("RELEASE SAVEPOINT front_sync_all_new")
        return None
    cur.execute("RELEASE SAVEPOINT front_sync_all_new")
    outcome = Counter(created=len(items))
    _count_untyped(outcome, items)
    if st.resource.match_missing_ids_by_email and contacts_provisional.any_provisional(cur):
        _copy_keys(cur, items)
        outcome["provisional_merged"] = contacts_provisional.merge_into_real(cur, _KEYS)
    return outcome


def _classify_and_write(cur, st: _Statements, items: list[Prepared]) -> Counter:
    """The four conflict rules: classify the keys, then write what is new, changed or in conflict."""
    resource = st.resource
    cur.execute(load_sql("load/plan_index_probes"))
    _copy_keys(cur, items)
    cur.execute(load_sql("load/stage_analyze", stage=_KEYS))
    cur.execute(load_sql(
        "load/classify", keys=_KEYS, table=st.target,
        local_edit_newer=st.cursor_sql(
            "(k.cursor IS NULL OR t.local_updated_at > to_timestamp(k.cursor::double precision))", "TRUE"),
    ))
    cur.execute(load_sql("load/classified", keys=_KEYS))
    outcome_of = dict(cur.fetchall())
    if resource.version_column is None and "unchanged" in outcome_of.values():
        cur.execute(load_sql("load/advance_unchanged", keys=_KEYS, table=st.target))
    by_id = {item.id: item for item in items}
    tables: list[sql.Identifier] = []
    to_stage = [by_id[i] for i, outcome in outcome_of.items() if outcome in ("updated", "conflict")]
    if to_stage:
        _stage_rows(cur, st, st.stage, to_stage)
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
        _replace_children(cur, child, written, index, replaces=bool(updated or upserted))
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


def _stage_rows(cur, st: _Statements, stage: sql.Identifier, items: list[Prepared]) -> None:
    """COPY full rows into a staging table shaped like the target (compressed like it)."""
    cur.execute(load_sql("load/stage_create", stage=stage, table=st.target))
    st.copy_into(cur, stage, items)


def _update_changed(cur, st: _Statements) -> set[str]:
    """Apply the changed rows; returns the ids updated (a newer version committed meanwhile is left alone)."""
    cur.execute(load_sql("load/update_changed", stage=st.stage, keys=_KEYS, table=st.target,
                         assignments=st.assignments("s", sql.SQL("k._absent"))))
    return {row[0] for row in cur.fetchall()}


def _insert_created(cur, st: _Statements, items: list[Prepared],
                    tables: list[sql.Identifier]) -> tuple[list[str], list[str]]:
    """COPY the new rows into the target; returns (ids inserted, ids that turned out to exist and were updated).

    The rows were absent when classified, so only a concurrent load inserting the same id can make the COPY fail;
    then, from a savepoint, the rows go through a staging table and an upsert with the view-time guard.
    """
    if not items:
        return [], []
    cur.execute("SAVEPOINT front_sync_insert")
    try:
        st.copy_into(cur, st.target, items)
    except errors.UniqueViolation as exc:
        if exc.diag.constraint_name != f"{st.resource.table[1]}_pkey":
            raise
        cur.execute("ROLLBACK TO SAVEPOINT front_sync_insert")
    else:
        cur.execute("RELEASE SAVEPOINT front_sync_insert")
        return [item.id for item in items], []
    cur.execute("RELEASE SAVEPOINT front_sync_insert")
    stage = sql.Identifier(f"_stage_new_{st.resource.name}")
    _stage_rows(cur, st, stage, items)
    tables.append(stage)
    cur.execute(load_sql(
        "load/upsert_created", stage=stage, table=st.target, columns=columns(st.staged),
        values=columns(st.staged, "s"),
        assignments=st.assignments("excluded", _ABSENT_OF_EXCLUDED),
    ))
    rows = cur.fetchall()
    return [i for i, inserted in rows if inserted], [i for i, inserted in rows if not inserted]


def _replace_children(cur, child: ChildTable, written: list[Prepared], index: int, *, replaces: bool) -> None:
    """Replace the children of the rows just written: delete those of updated rows, COPY what Front sent now.

    A new row has no children, unless an earlier row with its id was deleted by hand (there is no foreign key):
    such leftovers make the COPY fail on the key, and are then deleted too before copying again.
    """
    table, names, types = _child_copy(cur, child)
    delete = load_sql("load/children_delete", table=table, keys=_KEYS, parent_column=sql.Identifier(names[0]))
    if replaces:
        cur.execute(delete, {"outcomes": ["updated"], "child": child.table})
    rows = [row for item in written for row in item.children[index]]
    if not rows:
        return
    cur.execute("SAVEPOINT front_sync_children")
    try:
        copy_rows(cur, table, names, types, rows)
    except errors.UniqueViolation as exc:
        if exc.diag.constraint_name != f"{child.table}_pkey":
            raise
        cur.execute("ROLLBACK TO SAVEPOINT front_sync_children")
        cur.execute(delete, {"outcomes": ["created"], "child": child.table})
        copy_rows(cur, table, names, types, rows)
    cur.execute("RELEASE SAVEPOINT front_sync_children")
