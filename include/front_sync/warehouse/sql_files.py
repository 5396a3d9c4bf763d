"""Read the project's .sql files by name and fill in identifiers safely (values always go as parameters)."""

from __future__ import annotations

from functools import cache
from importlib import resources

from psycopg import sql


@cache
def _read(name: str) -> str:
    return (resources.files("front_sync") / "sql" / f"{name}.sql").read_text(encoding="utf-8")


def load_sql(name: str, **identifiers: sql.Composable) -> sql.Composed:
    """The SQL of sql/<name>.sql as a psycopg Composed, its {placeholders} filled by psycopg.sql objects."""
    return sql.SQL(_read(name)).format(**identifiers)


def columns(names: tuple[str, ...] | list[str], prefix: str | None = None) -> sql.Composable:
    """A comma-separated identifier list, optionally qualified by a table alias."""
    if prefix:
        return sql.SQL(", ").join(sql.Identifier(prefix, n) for n in names)
    return sql.SQL(", ").join(sql.Identifier(n) for n in names)
