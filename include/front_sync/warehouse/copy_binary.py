"""COPY through psycopg 3 in PostgreSQL's binary format: rows of Python values, each column typed by its table.

Binary rather than text: nothing is escaped on either side (text format doubles every backslash of the raw JSON
and escapes every newline of a message body) and jsonb travels as its JSON text behind a version byte. For
contacts both formats cost the same (bench/bench_loader.py times both); for messages with multi-line bodies
binary was 15-25 % faster; a Decimal costs about 0.6 us more to send in binary. The column types come from the
catalogue (read once per table and process), so the binary format always matches the table. JSON already encoded
by the transform (raw as UTF-8 bytes, jsonb columns as text) is sent as it is, never decoded and encoded again.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from psycopg import postgres, sql
from psycopg.adapt import Dumper
from psycopg.pq import Format

from front_sync.warehouse.sql_files import columns, load_sql

TEXT = postgres.types["text"].oid
NUMERIC = postgres.types["numeric"].oid
TEXT_ARRAY = postgres.types["text"].array_oid
_JSONB_VERSION = b"\x01"


class _JsonText(Dumper):
    """jsonb in binary from JSON text already encoded (str, or UTF-8 bytes): the version byte, then the text."""

    format = Format.BINARY
    oid = postgres.types["jsonb"].oid

    def dump(self, obj: str | bytes) -> bytes:
        return _JSONB_VERSION + (obj if isinstance(obj, bytes) else obj.encode())


_TYPES: dict[tuple[str, str], dict[str, int]] = {}


def column_types(cur, table: tuple[str, str]) -> dict[str, int]:
    """Column name -> type oid of a (schema, table), read once per process (migrations run before any load)."""
    if table not in _TYPES:
        cur.execute(load_sql("load/column_types"), {"schema": table[0], "table": table[1]})
        _TYPES[table] = dict(cur.fetchall())
    return _TYPES[table]


def copy_rows(
    cur, table: sql.Composable, names: Sequence[str], types: Sequence[int], rows: Iterable[Sequence[Any]]
) -> None:
    """COPY rows (streamed) into the `names` columns of a table, whose type oids are `types`, in one statement."""
    statement = sql.SQL("COPY {} ({}) FROM STDIN (FORMAT BINARY)").format(table, columns(tuple(names)))
    cur.adapters.register_dumper(None, _JsonText)  # by oid only: used for this cursor's typed jsonb columns
    with cur.copy(statement) as copy:
        copy.set_types(types)
        write = copy.write_row
        for row in rows:
            write(row)
