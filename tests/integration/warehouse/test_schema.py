"""The warehouse schema: every table of DESIGN.md section 4, typed columns, indexes, comments everywhere."""

from __future__ import annotations

import pytest

from front_sync.resources import ALL_RESOURCES

from .records import fetch

pytestmark = pytest.mark.integration  # needs the session's PostgreSQL server

ENTITY_TABLES = {
    "contacts",
    "contact_handles",
    "contact_lists",
    "contact_list_members",
    "tags",
    "inboxes",
    "teammates",
    "channels",
    "custom_fields",
    "conversations",
    "conversation_tags",
    "conversation_links",
    "conversation_reminders",
    "messages",
    "message_recipients",
    "message_attachments",
    "comments",
}
OPERATIONAL_TABLES = {
    "sync_logs",
    "sync_checkpoints",
    "sync_conflicts",
    "dead_letters",
    "schema_migrations",
    "sync_pending",
    "watermark_changes",
    "applied_events",
    "children_synced",
    "rate_budget",
    "schema_drift",
}
BOOKKEEPING = {
    "raw": "jsonb",
    "row_hash": "text",
    "first_synced_at": "timestamp with time zone",
    "last_synced_at": "timestamp with time zone",
    "sync_run_id": "text",
    "deleted_at": "timestamp with time zone",
    "local_updated_at": "timestamp with time zone",
    "untyped_fields": "jsonb",
    "view_at": "numeric",
}


def columns_of(conn, table: str) -> dict[str, str]:
    return dict(
        fetch(
            conn,
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = 'front' AND table_name = %s",
            (table,),
        )
    )


def test_every_table_of_the_design_exists(migrated_shared):
    tables = {
        r[0]
        for r in fetch(
            migrated_shared,
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_schema = 'front' AND table_type = 'BASE TABLE'",
        )
    }
    assert ENTITY_TABLES | OPERATIONAL_TABLES <= tables


@pytest.mark.parametrize("resource", ALL_RESOURCES, ids=lambda r: r.name)
def test_resource_tables_have_their_columns_and_bookkeeping(migrated_shared, resource):
    cols = columns_of(migrated_shared, resource.table[1])
    assert set(resource.columns) <= set(cols)
    assert {c: cols[c] for c in BOOKKEEPING} == BOOKKEEPING
    if resource.cursor_column:
        assert cols[resource.cursor_column] == "numeric"
        assert cols[f"{resource.cursor_column}_ts"] == "timestamp with time zone"
    for child in resource.nested:
        assert {child.parent_column, *child.columns} <= set(columns_of(migrated_shared, child.table))


def test_front_timestamps_are_exact_numeric_with_a_generated_timestamptz(migrated_shared):
    rows = fetch(
        migrated_shared,
        """
        SELECT c.table_name, c.column_name, c.numeric_precision, c.numeric_scale, g.is_generated
        FROM information_schema.columns AS c
        LEFT JOIN information_schema.columns AS g
          ON g.table_schema = c.table_schema AND g.table_name = c.table_name AND g.column_name = c.column_name || '_ts'
        WHERE c.table_schema = 'front' AND c.data_type = 'numeric'
          AND c.table_name NOT IN ('sync_logs', 'watermark_changes', 'applied_events', 'children_synced')
          AND c.column_name NOT IN ('view_at', 'observed_at')""",
    )
    # (operational tables, view_at and observed_at, the version rule's bookkeeping: epoch values, not Front's records)
    stamps = {
        (table, c.name)
        for r in ALL_RESOURCES
        for table, fields in [(r.table[1], r.fields), *((ch.table, ch.fields) for ch in r.nested)]
        for c in fields
        if c.sql_type == "numeric(15,3)"
    }
    assert len(rows) == len(stamps)  # every Front timestamp the resource table declares
    assert {(precision, scale, generated) for _, _, precision, scale, generated in rows} == {(15, 3, "ALWAYS")}


def test_every_table_and_column_of_the_design_is_commented(migrated_shared):
    design = sorted(ENTITY_TABLES | OPERATIONAL_TABLES)
    missing = fetch(
        migrated_shared,
        """
        SELECT c.relname, a.attname FROM pg_attribute AS a
        JOIN pg_class AS c ON c.oid = a.attrelid JOIN pg_namespace AS n ON n.oid = c.relnamespace
        WHERE n.nspname = 'front' AND c.relname = ANY(%s) AND a.attnum > 0 AND NOT a.attisdropped
          AND col_description(c.oid, a.attnum) IS NULL""",
        (design,),
    )
    assert missing == []
    assert (
        fetch(
            migrated_shared,
            """
        SELECT c.relname FROM pg_class AS c JOIN pg_namespace AS n ON n.oid = c.relnamespace
        WHERE n.nspname = 'front' AND c.relname = ANY(%s) AND obj_description(c.oid, 'pg_class') IS NULL""",
            (design,),
        )
        == []
    )


@pytest.mark.parametrize(
    ("table", "column"),
    [
        ("contact_handles", "handle_normalized"),
        ("contact_list_members", "contact_list_id"),
        ("conversation_tags", "tag_id"),
        ("conversations", "assignee_id"),
        ("conversations", "status"),
        ("conversations", "updated_at"),
        ("messages", "conversation_id"),
        ("messages", "author_id"),
        ("message_recipients", "contact_id"),
        ("comments", "conversation_id"),
        ("channels", "inbox_id"),
        ("tags", "parent_tag_id"),
        ("sync_logs", "resource"),
        ("dead_letters", "resource"),
    ],
)
def test_join_and_dashboard_columns_are_indexed(migrated_shared, table, column):
    indexes = fetch(
        migrated_shared, "SELECT indexdef FROM pg_indexes WHERE schemaname = 'front' AND tablename = %s", (table,)
    )
    assert any(f"({column}" in d or f", {column}" in d for (d,) in indexes), indexes


def test_migrating_again_applies_nothing_and_leaves_the_connection_as_it_was(migrated_shared):
    from front_sync.warehouse import migrations

    migrated_shared.autocommit = False
    assert migrations.migrate(migrated_shared) == []
    assert migrated_shared.autocommit is False
