"""The resource table and the migrations agree: every declared column exists with its declared type, and every
typed column of a table is declared (a column added on one side only fails here, by name)."""

from __future__ import annotations

from collections import defaultdict

import pytest

from front_sync.resources import ALL_RESOURCES
from front_sync.warehouse import migrations

pytestmark = pytest.mark.integration  # needs the session's PostgreSQL server

BOOKKEEPING = {
    "raw",
    "row_hash",
    "first_synced_at",
    "last_synced_at",
    "sync_run_id",
    "deleted_at",
    "local_updated_at",
    "untyped_fields",
    "view_at",
    "observed_at",
}


def table_columns(conn, table: str) -> dict[str, str]:
    """Column -> type as format_type() prints it, without generated columns (e.g. the *_ts timestamps)."""
    with conn.cursor() as cur:
        cur.execute(
            """
            SELECT a.attname, format_type(a.atttypid, a.atttypmod) FROM pg_attribute AS a
            WHERE a.attrelid = ('front.' || quote_ident(%s))::regclass AND a.attnum > 0 AND NOT a.attisdropped
              AND a.attgenerated = ''""",
            (table,),
        )
        return dict(cur.fetchall())


def test_every_declared_column_matches_its_migrated_table_by_name_and_type(warehouse):
    migrations.migrate(warehouse)
    declared: dict[str, dict[str, str]] = defaultdict(dict)
    for resource in ALL_RESOURCES:
        declared[resource.table[1]].update({c.name: c.sql_type for c in resource.fields})
        for child in resource.nested:
            declared[child.table][child.parent_column] = "text"
            declared[child.table].update({c.name: c.sql_type for c in child.fields})
    problems = []
    for table, columns in sorted(declared.items()):
        migrated = table_columns(warehouse, table)
        for name, sql_type in columns.items():
            if migrated.get(name) != sql_type:
                problems.append(f"{table}.{name}: declared {sql_type}, migrated {migrated.get(name)}")
        for name in sorted(set(migrated) - set(columns) - BOOKKEEPING):
            problems.append(f"{table}.{name}: in the migration but not declared in front_sync.resources")
    assert not problems, "\n".join(problems)
