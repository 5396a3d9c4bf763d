"""The tables and statements the write steps (write.py) share: the keys table, a resource's target and staging
tables with their COPY columns and types, and the SET list that keeps what a partial payload left out."""

from __future__ import annotations

from dataclasses import dataclass

from psycopg import sql

from front_sync.config import WAREHOUSE_SCHEMA
from front_sync.resources import NestedTable, Resource
from front_sync.warehouse.copy_binary import NUMERIC, TEXT, TEXT_ARRAY, column_types, copy_rows
from front_sync.warehouse.prepare import Prepared, copy_columns
from front_sync.warehouse.sql_files import columns, load_sql

KEYS = sql.Identifier("_stage_keys")
_KEY_COLUMNS = ("id", "cursor", "view_at", "observed_at", "row_hash", "_absent")
_KEY_TYPES = (TEXT, NUMERIC, NUMERIC, NUMERIC, TEXT, TEXT_ARRAY)


def reset_keys(cur) -> None:
    """Make sure the session's keys table exists and is empty (it is, unless an earlier half of a bisected batch
    was written in this transaction)."""
    cur.execute(load_sql("load/keys_create", keys=KEYS))
    cur.execute(load_sql("load/keys_clear", keys=KEYS))


def copy_keys(cur, items: list[Prepared]) -> None:
    """COPY the items' keys (Prepared.key) into the keys table."""
    copy_rows(cur, KEYS, _KEY_COLUMNS, _KEY_TYPES, (item.key for item in items))


@dataclass(frozen=True)
class NestedTarget:
    """A nested table's identifier, COPY columns (parent id first) and their types."""

    table: sql.Identifier
    names: tuple[str, ...]
    types: list[int]

    def copy(self, cur, rows: list[tuple]) -> None:
        """COPY nested rows (parent id first) into the table."""
        copy_rows(cur, self.table, self.names, self.types, rows)


def nested_copy(cur, nested: NestedTable) -> NestedTarget:
    """Where and how a nested table's rows are COPYed."""
    names = (nested.parent_column, *nested.columns)
    types = column_types(cur, (WAREHOUSE_SCHEMA, nested.table))
    return NestedTarget(sql.Identifier(WAREHOUSE_SCHEMA, nested.table), names, [types[c] for c in names])


@dataclass
class Statements:
    """The identifiers, columns and column types of one resource's load statements."""

    resource: Resource
    target: sql.Identifier
    stage: sql.Identifier
    staged: tuple[str, ...]
    types: list[int]

    @property
    def absent_of_excluded(self) -> sql.Composable:
        """In the upsert, the fields the record's payload left out (the cast keeps ANY() from reading it as a
        subquery)."""
        return sql.SQL("(SELECT k._absent FROM {} AS k WHERE k.id = excluded.id)::text[]").format(KEYS)

    def column_list(self, alias: str | None = None) -> sql.Composable:
        """The staged columns, comma-separated (qualified by `alias` when given)."""
        return columns(self.staged, alias)

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

    def stage_rows(self, cur, stage: sql.Identifier, items: list[Prepared]) -> None:
        """COPY full rows into a staging table shaped like the target (compressed like it)."""
        cur.execute(load_sql("load/stage_create", stage=stage, table=self.target))
        self.copy_into(cur, stage, items)


def statements(cur, resource: Resource) -> Statements:
    """The statements' parts for one resource (column types read from the database)."""
    staged = copy_columns(resource)
    types = column_types(cur, resource.table)
    return Statements(
        resource,
        sql.Identifier(*resource.table),
        sql.Identifier(f"_stage_{resource.name}"),
        staged,
        [types[c] for c in staged],
    )
