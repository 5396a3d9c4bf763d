"""PostgreSQL COPY text format: rows are encoded once, as UTF-8 lines, and streamed to staging tables."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from psycopg2 import sql

from front_sync.warehouse.sql_files import columns

_READ_SIZE = 1 << 20  # psycopg2 asks the reader for chunks of this size; the default 8 kB costs many calls


def copy_value(value: Any) -> str:
    """One value in COPY text format: \\N for NULL, t/f for booleans, backslash escapes, NUL removed."""
    if value is None:
        return "\\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    text = value if isinstance(value, str) else str(value)
    # str.replace runs in C and each check is a fast scan; most values need none of them.
    if "\\" in text:
        text = text.replace("\\", "\\\\")
    if "\t" in text:
        text = text.replace("\t", "\\t")
    if "\n" in text:
        text = text.replace("\n", "\\n")
    if "\r" in text:
        text = text.replace("\r", "\\r")
    if "\x00" in text:
        text = text.replace("\x00", "")
    return text


def _scalar(value: Any) -> str:
    """A non-text value in COPY text format."""
    if value is True:
        return "t"
    if value is False:
        return "f"
    return str(value)  # numbers and Decimals: nothing to escape


def copy_line(values: tuple | list, json_tail: bytes | None = None) -> bytes:
    """One row as a UTF-8 COPY line; `json_tail` is a last column already encoded as JSON (kept as bytes).

    Fast path: join the values and escape only when the joined text shows that some value needs it (most rows
    need none: their only backslashes are the \\N of NULLs). JSON text holds no raw tab, newline or NUL (the
    encoder escapes them), so only its backslashes are doubled.
    """
    texts = ["\\N" if v is None else v if v.__class__ is str else _scalar(v) for v in values]
    text = "\t".join(texts)
    if ("\n" in text or "\r" in text or "\x00" in text or text.count("\t") != len(texts) - 1
            or text.count("\\") != values.count(None)):
        text = "\t".join(map(copy_value, values))
    if json_tail is None:
        return (text + "\n").encode("utf-8")
    if b"\\" in json_tail:
        json_tail = json_tail.replace(b"\\", b"\\\\")
    return b"".join(((text + "\t").encode("utf-8"), json_tail, b"\n"))


class _LineReader:
    """A file-like view of an iterable of COPY lines, so a batch is streamed instead of copied into one buffer."""

    def __init__(self, lines: Iterable[bytes]) -> None:
        self._lines: Iterator[bytes] = iter(lines)

    def read(self, size: int = _READ_SIZE) -> bytes:
        """At least `size` bytes of whole lines (or what is left); empty at the end."""
        parts, length = [], 0
        for line in self._lines:
            parts.append(line)
            length += len(line)
            if length >= size:
                break
        return b"".join(parts)


def copy_lines(cur, table: sql.Composable, column_names: Iterable[str], lines: Iterable[bytes]) -> None:
    """COPY UTF-8 lines (from copy_line) into a table, usually a temporary staging table, in one statement."""
    statement = sql.SQL("COPY {} ({}) FROM STDIN WITH (ENCODING 'UTF8')").format(table, columns(tuple(column_names)))
    cur.copy_expert(statement.as_string(cur), _LineReader(lines), size=_READ_SIZE)


def copy_rows(cur, table: sql.Composable, column_names: Iterable[str], rows: Iterable[tuple | list]) -> None:
    """COPY rows of Python values into a table."""
    copy_lines(cur, table, column_names, (copy_line(row) for row in rows))
