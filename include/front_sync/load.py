"""Load one batch of Front records: transform, COPY into staging, apply the conflict rules, one commit."""

from __future__ import annotations

import io
import logging
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from psycopg2 import sql

from front_sync import transform
from front_sync.resources import Resource
from front_sync.sql_files import columns, load_sql

log = logging.getLogger(__name__)

OUTCOMES = ("created", "updated", "unchanged", "stale", "conflicts", "dead_lettered")
_BOOKKEEPING = ("raw", "row_hash", "sync_run_id")
_SQL_OUTCOME = {"conflict": "conflicts"}


@dataclass
class BatchResult:
    """What happened to each record of a batch, and the largest cursor among the records accounted for."""

    counts: Counter = field(default_factory=Counter)
    max_cursor: Decimal | None = None

    def add(self, other: BatchResult) -> None:
        self.counts.update(other.counts)
        if other.max_cursor is not None and (self.max_cursor is None or other.max_cursor > self.max_cursor):
            self.max_cursor = other.max_cursor


@dataclass
class _Prepared:
    values: tuple
    children: list[list[tuple]]
    cursor: Decimal | None


def _copy_text(value: Any) -> str:
    """One value in PostgreSQL COPY text format."""
    if value is None:
        return "\\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    text = value if isinstance(value, str) else str(value)
    if "\\" in text:
        text = text.replace("\\", "\\\\")
    if "\t" in text or "\n" in text or "\r" in text:
        text = text.replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    return text.replace("\x00", "") if "\x00" in text else text


def _copy_rows(cur, table: sql.Composable, column_names: tuple[str, ...], rows: list[tuple]) -> None:
    buffer = io.StringIO()
    write = buffer.write
    for row in rows:
        write("\t".join(map(_copy_text, row)))
        write("\n")
    buffer.seek(0)
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(table, columns(column_names))
    cur.copy_expert(statement.as_string(cur), buffer)


def prepare(resource: Resource, records: list[Any], run_id: str) -> tuple[dict[str, _Prepared], list, Counter]:
    """Transform records into rows; returns rows by id (last version of a repeated id wins), dead letters, counts.

    A repeated id within one batch keeps the copy with the largest cursor; the others count as unchanged.
    """
    prepared: dict[str, _Prepared] = {}
    dead: list[tuple[Any, str]] = []
    counts: Counter = Counter()
    for record in records:
        try:
            values = resource.row(record)
            clean = transform.strip_nul(record)
            raw = transform.canonical_json(clean)
            children = [child.rows(record) for child in resource.children]
        except (transform.BadRecord, TypeError, ValueError, AttributeError) as exc:
            dead.append((record, f"{type(exc).__name__}: {exc}"))
            continue
        cursor = values[resource.columns.index(resource.cursor_column)] if resource.cursor_column else None
        row = (*values, raw, transform.row_hash(raw), run_id)
        previous = prepared.get(values[0])
        if previous is not None:
            counts["unchanged"] += 1
            if previous.cursor is not None and cursor is not None and cursor < previous.cursor:
                continue
        prepared[values[0]] = _Prepared(row, children, cursor)
    return prepared, dead, counts


def _dead_letter(cur, resource: Resource, dead: list[tuple[Any, str]], run_id: str) -> None:
    statement = load_sql("load/dead_letter_insert")
    for record, error in dead:
        record_id = record.get("id") if isinstance(record, dict) else None
        record_id = str(record_id).replace("\x00", "")[:200] if record_id is not None else None
        try:
            payload, payload_text = transform.canonical_json(transform.strip_nul(record)), None
        except (TypeError, ValueError):
            payload, payload_text = None, repr(record).replace("\x00", "")
        cur.execute(statement, (resource.name, record_id, payload, payload_text, error[:2000], run_id))


def load_batch(conn, resource: Resource, records: list[Any], run_id: str) -> BatchResult:
    """Load a batch in one transaction and return its outcome counts; bad records go to dead_letters."""
    prepared, dead, counts = prepare(resource, records, run_id)
    result = BatchResult(counts=counts)
    result.counts["dead_lettered"] += len(dead)
    target = sql.Identifier(*resource.table)
    stage = sql.Identifier(f"_stage_{resource.name}")
    copy_columns = (*resource.columns, *_BOOKKEEPING)
    cursor_col = resource.cursor_column
    try:
        with conn.cursor() as cur:
            if dead:
                _dead_letter(cur, resource, dead, run_id)
            if prepared:
                cur.execute(load_sql("load/stage_create", stage=stage, table=target))
                _copy_rows(cur, stage, copy_columns, [p.values for p in prepared.values()])
                cur.execute(load_sql(
                    "load/classify", stage=stage, table=target,
                    stale_condition=_compare(cursor_col, "s", "<", "t"),
                    local_edit_newer=(
                        sql.SQL("(s.{c} IS NULL OR t.local_updated_at > to_timestamp(s.{c}::double precision))")
                        .format(c=sql.Identifier(cursor_col)) if cursor_col else sql.SQL("TRUE")
                    ),
                ))
                cur.execute(load_sql("load/record_conflicts", stage=stage, table=target), {"resource": resource.name})
                assignments = sql.SQL(", ").join(
                    sql.SQL("{c} = excluded.{c}").format(c=sql.Identifier(c)) for c in copy_columns[1:]
                )
                cur.execute(load_sql(
                    "load/upsert", stage=stage, table=target, columns=columns(copy_columns),
                    assignments=assignments,
                    not_older=(
                        sql.SQL("t.{c} IS NULL OR t.{c} <= excluded.{c}").format(c=sql.Identifier(cursor_col))
                        if cursor_col else sql.SQL("TRUE")
                    ),
                ))
                for index, child in enumerate(resource.children):
                    _replace_children(cur, child, index, stage, prepared)
                cur.execute(load_sql("load/outcome_counts", stage=stage))
                for outcome, n in cur.fetchall():
                    result.counts[_SQL_OUTCOME.get(outcome, outcome)] += n
        conn.commit()
    except Exception:
        conn.rollback()
        raise
    for item in prepared.values():
        if item.cursor is not None and (result.max_cursor is None or item.cursor > result.max_cursor):
            result.max_cursor = item.cursor
    return result


def _compare(column: str | None, left: str, op: str, right: str) -> sql.Composable:
    if not column:
        return sql.SQL("FALSE")
    return sql.SQL("{l} " + op + " {r}").format(l=sql.Identifier(left, column), r=sql.Identifier(right, column))


def _replace_children(cur, child, index: int, parent_stage: sql.Identifier, prepared: dict[str, _Prepared]) -> None:
    table = sql.Identifier("front", child.table)
    stage = sql.Identifier(f"_stage_{child.table}")
    names = (child.parent_column, *child.columns)
    rows = [(parent_id, *r) for parent_id, p in prepared.items() for r in p.children[index]]
    cur.execute(load_sql("load/child_stage_create", stage=stage, table=table))
    _copy_rows(cur, stage, names, rows)
    cur.execute(load_sql("load/children_delete", table=table, parent_stage=parent_stage,
                         parent_column=sql.Identifier(child.parent_column)))
    cur.execute(load_sql(
        "load/children_insert", table=table, stage=stage, parent_stage=parent_stage,
        columns=columns(names), stage_columns=columns(names, "c"),
        parent_column=sql.Identifier(child.parent_column),
    ))
