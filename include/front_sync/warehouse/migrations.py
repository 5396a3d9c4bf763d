"""Apply the numbered SQL files in sql/migrations in order, once each, under an advisory lock."""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass
from importlib import resources

from psycopg import sql

from front_sync.config import WAREHOUSE_SCHEMA

log = logging.getLogger(__name__)

# Any constant works; it only has to be the same for every runner of this project.
ADVISORY_LOCK_KEY = 0x46524F4E54  # "FRONT"
_MIGRATIONS_TABLE = sql.Identifier(WAREHOUSE_SCHEMA, "schema_migrations")
_FILE_NAME = re.compile(r"^(\d{3})_[a-z0-9_]+\.sql$")


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()


def available_migrations() -> list[Migration]:
    """The shipped migrations, sorted by version; a badly named file or a duplicate version is an error."""
    folder = resources.files("front_sync") / "sql" / "migrations"
    found: dict[int, Migration] = {}
    for entry in folder.iterdir():
        if not entry.name.endswith(".sql"):
            continue
        match = _FILE_NAME.match(entry.name)
        if not match:
            raise ValueError(f"Migration file {entry.name!r} must be named NNN_lowercase_words.sql")
        version = int(match.group(1))
        if version in found:
            raise ValueError(f"Two migrations share version {version}: {found[version].name}, {entry.name}")
        found[version] = Migration(version, entry.name, entry.read_text(encoding="utf-8"))
    return [found[v] for v in sorted(found)]


def migrate(conn) -> list[str]:
    """Bring the warehouse schema up to date on a psycopg connection; returns the names applied now.

    A session advisory lock serialises concurrent runners, so each migration is applied exactly once; each file
    runs in its own transaction with its schema_migrations row. An applied file that changed since is an error.
    """
    applied_now: list[str] = []
    autocommit = conn.autocommit
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("SELECT pg_advisory_lock(%s)", (ADVISORY_LOCK_KEY,))
    try:
        conn.autocommit = False
        with conn.cursor() as cur:
            cur.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(WAREHOUSE_SCHEMA)))
            cur.execute(
                sql.SQL(
                    "CREATE TABLE IF NOT EXISTS {} (version integer PRIMARY KEY, name text NOT NULL,"
                    " checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())"
                ).format(_MIGRATIONS_TABLE)
            )
            cur.execute(sql.SQL("SELECT version, name, checksum FROM {}").format(_MIGRATIONS_TABLE))
            done = {version: (name, checksum) for version, name, checksum in cur.fetchall()}
        conn.commit()
        for migration in available_migrations():
            if migration.version in done:
                if done[migration.version][1] != migration.checksum:
                    raise RuntimeError(
                        f"Migration {migration.name} was changed after it was applied; add a new migration instead."
                    )
                continue
            with conn.cursor() as cur:
                cur.execute(migration.sql)
                cur.execute(
                    sql.SQL("INSERT INTO {} (version, name, checksum) VALUES (%s, %s, %s)").format(_MIGRATIONS_TABLE),
                    (migration.version, migration.name, migration.checksum),
                )
            conn.commit()
            log.info("Applied migration %s", migration.name)
            applied_now.append(migration.name)
    except Exception:
        conn.rollback()
        raise
    finally:
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute("SELECT pg_advisory_unlock(%s)", (ADVISORY_LOCK_KEY,))
        conn.autocommit = autocommit  # leave the connection as it came
    return applied_now
