"""The database side of the loader: prepared items are classified with the conflict rules and written set-wise.

The conflict rules path (write_classified) is a sequence of named steps, each with one job:
1. classify: COPY each record's key (id, Front timestamp, view time, content hash, fields a partial payload left
   out) into a temporary table and classify it against the stored row with the four conflict rules
   (classify.sql): stale (an older view than the row's view_at: the version rule), conflict, unchanged, updated,
   else created. advance_unchanged gives unchanged rows seen in a newer view that view time.
2. stage_changed COPYs changed and conflicting rows into a staging table; record_conflicts keeps both versions of
   each conflict; update_changed applies the changes with one UPDATE guarded by the view time.
3. insert_created COPYs new rows straight into the target table (COPY inserts in bulk, far cheaper than INSERT ...
   SELECT). Only when a concurrent load inserted the same new id meanwhile does it fall back to INSERT ... ON
   CONFLICT under the same guard (its speculative insertion triples the cost of a bulk insert).
4. correct_concurrent records, in the keys table, what a concurrent load changed between classify and write: a row
   it wrote newer counts as stale, an id it inserted older as updated.
5. replace_nested_rows replaces the nested rows of every row written: one DELETE and one COPY per nested table. A
   column or nested list the payload left out keeps its stored value.
6. merge_provisional merges provisional contacts into the real ones just written.
Each step returns what it knows (the rows it wrote, the rows it lost); the counts are added up from those.

When a caller's previous batch of a table held only new rows (LoadHistory: an initial load, a backfill), the next
one is first COPYed as it is, nested rows included, with no classification (write_all_new); a stored id makes the
primary key fail, and the batch is then rolled back to its savepoint and goes through the steps above. Unchanged
and stale records never send more than their key.

What only the database can reject (a constraint, an index limit) is isolated by bisection (apply): the items are
written under a savepoint; when a record's data error rolls them back, each half is written again the same way,
down to the single bad record. There is no row-by-row fallback.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import psycopg
from psycopg import errors, sql

from front_sync.resources import Resource
from front_sync.warehouse import contacts_provisional
from front_sync.warehouse.prepare import Prepared
from front_sync.warehouse.sql_files import load_sql
from front_sync.warehouse.write_sql import KEYS, Statements, copy_keys, nested_copy, reset_keys, statements

# Errors caused by the data of some record (not by the schema, the connection or the SQL): worth bisecting.
# UnicodeEncodeError: text that UTF-8 cannot hold, met while a COPY encodes it.
_RECORD_ERRORS = (
    psycopg.DataError,
    psycopg.IntegrityError,
    errors.ProgramLimitExceeded,
    errors.StatementTooComplex,
    UnicodeEncodeError,
)


@dataclass
class LoadHistory:
    """The tables whose last batch, in one caller's stream of batches, held only new rows: their next batch is first
    tried as a plain COPY (write_all_new). Owned by the caller (a load_batches call, a backfill run, a queue drain):
    nothing is remembered process-wide, so two streams never steer each other."""

    all_new: set[tuple[str, str]] = field(default_factory=set)

    def note(self, table: tuple[str, str], *, all_new: bool) -> None:
        """Remember whether a batch of `table` held only new rows."""
        (self.all_new.add if all_new else self.all_new.discard)(table)


def apply(
    cur, resource: Resource, items: list[Prepared], counts: Counter, history: LoadHistory | None = None
) -> list[tuple[Prepared, str]]:
    """Write items under a savepoint; on a record's data error, bisect. Returns the items rejected, with why."""
    if not items:
        return []
    cur.execute("SAVEPOINT front_sync_batch")
    try:
        outcome = _write(cur, resource, items, history)
    except _RECORD_ERRORS as exc:
        cur.execute("ROLLBACK TO SAVEPOINT front_sync_batch")
        cur.execute("RELEASE SAVEPOINT front_sync_batch")
        if len(items) == 1:
            return [(items[0], _rejection(exc))]
        middle = len(items) // 2
        return apply(cur, resource, items[:middle], counts, history) + apply(
            cur, resource, items[middle:], counts, history
        )
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


def _write(cur, resource: Resource, items: list[Prepared], history: LoadHistory | None) -> Counter:
    """One set of items: the all-new fast path when the history says so, else the conflict rules path."""
    st = statements(cur, resource)
    reset_keys(cur)
    if history is not None and resource.table in history.all_new:
        outcome = write_all_new(cur, st, items)
        if outcome is not None:
            return outcome
    outcome = write_classified(cur, st, items)
    if history is not None:
        history.note(resource.table, all_new=outcome["created"] == len(items))
    return outcome


def write_all_new(cur, st: Statements, items: list[Prepared]) -> Counter | None:
    """Initial loads and backfills bring only new rows: COPY them and their nested rows without classifying.

    Any of the ids already stored makes a primary key fail; the attempt is then rolled back (None is returned)
    and the batch goes through the conflict rules. New rows cannot be stale, unchanged or in conflict.
    """
    cur.execute("SAVEPOINT front_sync_all_new")
    try:
        st.copy_into(cur, st.target, items)
        for index, table in enumerate(st.resource.nested):
            rows = [row for item in items for row in item.nested[index]]
            if rows:
                nested_copy(cur, table).copy(cur, rows)
    except errors.UniqueViolation:
        cur.execute("ROLLBACK TO SAVEPOINT front_sync_all_new")
        cur.execute("RELEASE SAVEPOINT front_sync_all_new")
        return None
    cur.execute("RELEASE SAVEPOINT front_sync_all_new")
    outcome = Counter(created=len(items))
    _count_untyped(outcome, items)
    if st.resource.match_missing_ids_by_email and contacts_provisional.any_provisional(cur):
        copy_keys(cur, items)
        outcome["provisional_merged"] = contacts_provisional.merge_into_real(cur, KEYS)
    return outcome


@dataclass
class Classified:
    """The items of a batch by their outcome under the conflict rules; `created`: ids not stored when classified."""

    by_outcome: dict[str, list[Prepared]]
    created: list[Prepared]

    def of(self, *outcomes: str) -> list[Prepared]:
        """The items classified as any of `outcomes` (stale, conflict, unchanged, updated)."""
        return [item for outcome in outcomes for item in self.by_outcome.get(outcome, [])]


@dataclass
class Updated:
    """What update_changed did: rows updated, and rows a concurrent load had meanwhile written in a newer view."""

    updated: list[Prepared]
    lost: list[Prepared]


@dataclass
class Inserted:
    """What insert_created did: rows inserted, ids a concurrent load had inserted first and that were updated over
    it (upserted), and those it had inserted in a newer view (lost). `stage`: the staging table it used, if any."""

    inserted: list[Prepared]
    upserted: list[Prepared] = field(default_factory=list)
    lost: list[Prepared] = field(default_factory=list)
    stage: sql.Identifier | None = None


def write_classified(cur, st: Statements, items: list[Prepared]) -> Counter:
    """The conflict rules path, step by step (see the module's docstring); returns the outcome counts."""
    classified = classify(cur, st, items)
    advance_unchanged(cur, st, classified)
    staged = stage_changed(cur, st, classified)
    record_conflicts(cur, st, classified)
    updated = update_changed(cur, st, classified)
    inserted = insert_created(cur, st, classified.created)
    correct_concurrent(cur, updated, inserted)
    written = [*inserted.inserted, *updated.updated, *inserted.upserted]
    replace_nested_rows(cur, st, written, replaces=bool(updated.updated or inserted.upserted))
    outcome = Counter(
        created=len(inserted.inserted),
        updated=len(updated.updated) + len(inserted.upserted),
        unchanged=len(classified.of("unchanged")),
        conflicts=len(classified.of("conflict")),
        stale=len(classified.of("stale")) + len(updated.lost) + len(inserted.lost),
    )
    _count_untyped(outcome, written)
    if st.resource.match_missing_ids_by_email and written:
        outcome["provisional_merged"] = merge_provisional(cur)
    stages = [table for table in (staged, inserted.stage) if table is not None]
    if stages:
        cur.execute(load_sql("load/stage_drop", tables=sql.SQL(", ").join(stages)))
    return outcome


def classify(cur, st: Statements, items: list[Prepared]) -> Classified:
    """COPY the items' keys and classify each against its stored row with the four conflict rules."""
    cur.execute(load_sql("load/plan_index_probes"))
    copy_keys(cur, items)
    cur.execute(load_sql("load/stage_analyze", stage=KEYS))
    cur.execute(
        load_sql(
            "load/classify",
            keys=KEYS,
            table=st.target,
            local_edit_newer=st.cursor_sql(
                "(k.cursor IS NULL OR t.local_updated_at > to_timestamp(k.cursor::double precision))", "TRUE"
            ),
        )
    )
    cur.execute(load_sql("load/classified", keys=KEYS))
    outcome_of = dict(cur.fetchall())
    by_outcome: dict[str, list[Prepared]] = {}
    created = []
    for item in items:
        outcome = outcome_of.get(item.id)
        if outcome is None:
            created.append(item)
        else:
            by_outcome.setdefault(outcome, []).append(item)
    return Classified(by_outcome, created)


def advance_unchanged(cur, st: Statements, classified: Classified) -> None:
    """Unchanged rows seen in a newer view (or the same updated_at observed later) take its view and observation
    times, so that a copy observed in between, which may hold other embedded fields, is stale."""
    if classified.of("unchanged"):
        cur.execute(load_sql("load/advance_unchanged", keys=KEYS, table=st.target))


def stage_changed(cur, st: Statements, classified: Classified) -> sql.Identifier | None:
    """COPY the full rows of changed and conflicting items into a staging table; returns it (None: nothing)."""
    rows = classified.of("updated", "conflict")
    if not rows:
        return None
    st.stage_rows(cur, st.stage, rows)
    return st.stage


def record_conflicts(cur, st: Statements, classified: Classified) -> None:
    """Keep both versions of each conflicting row (front.sync_conflicts), once per distinct incoming version."""
    if classified.of("conflict"):
        cur.execute(
            load_sql("load/record_conflicts", stage=st.stage, keys=KEYS, table=st.target),
            {"resource": st.resource.name},
        )


def update_changed(cur, st: Statements, classified: Classified) -> Updated:
    """Apply the changed rows under the view-time guard: a newer version committed meanwhile is left alone."""
    changed = classified.of("updated")
    if not changed:
        return Updated([], [])
    cur.execute(
        load_sql(
            "load/update_changed",
            stage=st.stage,
            keys=KEYS,
            table=st.target,
            assignments=st.assignments("s", sql.SQL("k._absent")),
        )
    )
    done = {row[0] for row in cur.fetchall()}
    return Updated([i for i in changed if i.id in done], [i for i in changed if i.id not in done])


def insert_created(cur, st: Statements, items: list[Prepared]) -> Inserted:
    """COPY the new rows into the target. The rows were absent when classified, so only a concurrent load inserting
    the same id can make the COPY fail; then, from a savepoint, they go through upsert_created."""
    if not items:
        return Inserted([])
    cur.execute("SAVEPOINT front_sync_insert")
    try:
        st.copy_into(cur, st.target, items)
    except errors.UniqueViolation as exc:
        if exc.diag.constraint_name != f"{st.resource.table[1]}_pkey":
            raise
        cur.execute("ROLLBACK TO SAVEPOINT front_sync_insert")
        cur.execute("RELEASE SAVEPOINT front_sync_insert")
        return upsert_created(cur, st, items)
    cur.execute("RELEASE SAVEPOINT front_sync_insert")
    return Inserted(items)


def upsert_created(cur, st: Statements, items: list[Prepared]) -> Inserted:
    """New rows some of which a concurrent load inserted meanwhile: staged, then INSERT ... ON CONFLICT under the
    view-time guard (a row it wrote in a newer view stays, and this item is lost)."""
    stage = sql.Identifier(f"_stage_new_{st.resource.name}")
    st.stage_rows(cur, stage, items)
    cur.execute(
        load_sql(
            "load/upsert_created",
            stage=stage,
            table=st.target,
            columns=st.column_list(),
            values=st.column_list("s"),
            assignments=st.assignments("excluded", st.absent_of_excluded),
        )
    )
    inserted_of = dict(cur.fetchall())
    return Inserted(
        [i for i in items if inserted_of.get(i.id) is True],
        [i for i in items if inserted_of.get(i.id) is False],
        [i for i in items if i.id not in inserted_of],
        stage,
    )


def correct_concurrent(cur, updated: Updated, inserted: Inserted) -> None:
    """Record in the keys table what a concurrent load changed between classify and write: rows it wrote in a newer
    view are stale (their nested rows stay), ids it inserted first and that were updated over it are updated."""
    for outcome, items in (("stale", [*updated.lost, *inserted.lost]), ("updated", inserted.upserted)):
        if items:
            cur.execute(load_sql("load/keys_mark", keys=KEYS), {"ids": sorted(i.id for i in items), "outcome": outcome})


def replace_nested_rows(cur, st: Statements, written: list[Prepared], *, replaces: bool) -> None:
    """Replace the nested rows of the rows just written: delete those of updated rows (`replaces`: there are
    some), COPY what Front sent now. A new row has none, unless an earlier row with its id was deleted by hand
    (there is no foreign key): such leftovers make the COPY fail on the key, and are then deleted too."""
    for index, table in enumerate(st.resource.nested):
        target = nested_copy(cur, table)
        delete = load_sql(
            "load/nested_delete", table=target.table, keys=KEYS, parent_column=sql.Identifier(target.names[0])
        )
        if replaces:
            cur.execute(delete, {"outcomes": ["updated"], "nested": table.table})
        rows = [row for item in written for row in item.nested[index]]
        if not rows:
            continue
        cur.execute("SAVEPOINT front_sync_nested")
        try:
            target.copy(cur, rows)
        except errors.UniqueViolation as exc:
            if exc.diag.constraint_name != f"{table.table}_pkey":
                raise
            cur.execute("ROLLBACK TO SAVEPOINT front_sync_nested")
            cur.execute(delete, {"outcomes": ["created"], "nested": table.table})
            target.copy(cur, rows)
        cur.execute("RELEASE SAVEPOINT front_sync_nested")


def merge_provisional(cur) -> int:
    """Merge provisional contacts into the real contacts just written (created or updated in the keys table)."""
    return contacts_provisional.merge_into_real(cur, KEYS)


def _count_untyped(outcome: Counter, written: list[Prepared]) -> None:
    """Count the rows written with untyped fields (only when there are some: clean batches keep their counts)."""
    untyped = sum(1 for item in written if item.untyped)
    if untyped:
        outcome["untyped"] = untyped
