"""Local edits are detected without the editing application's help (migration 022's triggers).

A row changed by any session but the sync gets local_updated_at; the conflict rules then keep it against an older
Front version (or against any version, for resources without a Front timestamp) and record the conflict.
"""

from __future__ import annotations

from decimal import Decimal

import psycopg
import pytest

from front_sync.resources import ALL_RESOURCES, CONTACTS, INBOXES
from front_sync.warehouse import reconcile
from front_sync.warehouse.connection import warehouse_connection
from front_sync.warehouse.load import load_batch
from front_sync.warehouse.prepare import View

from . import records as r
from .records import fetch

pytestmark = pytest.mark.integration  # needs the session's PostgreSQL server


@pytest.fixture
def plain(migrated_url):
    """A session of some other application: a plain connection, nothing set, autocommit like most SQL clients."""
    conn = psycopg.connect(migrated_url, autocommit=True)
    yield conn
    conn.close()


def edit(conn, statement: str, params: tuple | None = None) -> None:
    with conn.cursor() as cur:
        cur.execute(statement, params)


def test_every_table_with_local_updated_at_has_both_triggers(migrated):
    missing = fetch(
        migrated,
        """
        SELECT c.table_name, t.name FROM information_schema.columns AS c
        CROSS JOIN (VALUES ('stamp_local_update'), ('stamp_local_insert')) AS t (name)
        WHERE c.table_schema = 'front' AND c.column_name = 'local_updated_at'
          AND NOT EXISTS (SELECT 1 FROM pg_trigger AS g JOIN pg_class AS k ON k.oid = g.tgrelid
                          JOIN pg_namespace AS n ON n.oid = k.relnamespace
                          WHERE n.nspname = 'front' AND k.relname = c.table_name AND g.tgname = t.name)""",
    )
    assert missing == []
    stamped = {
        t
        for (t,) in fetch(
            migrated,
            "SELECT table_name FROM information_schema.columns "
            "WHERE table_schema = 'front' AND column_name = 'local_updated_at'",
        )
    }
    assert {resource.table[1] for resource in ALL_RESOURCES} <= stamped


def test_the_syncs_own_writes_never_stamp_local_updated_at(migrated_url):
    conn = warehouse_connection()  # the operators' connection (AIRFLOW_CONN_FRONT_WAREHOUSE = the test database)
    try:
        conn.rollback()
        assert fetch(conn, "SHOW front_sync.writer") == [("on",)]  # set and committed when the session opened
        edit(conn, "RESET ALL")  # even then, the loader's and reconcile's transactions mark themselves
        conn.commit()
        load_batch(conn, CONTACTS, [r.contact("crd_1", "100"), r.contact("crd_2", "100")], "r1")
        load_batch(conn, CONTACTS, [r.contact("crd_1", "200", name="Bea")], "r2")
        reconcile.reconcile_deletions(conn, CONTACTS, ["crd_1"], "full1", view_at=Decimal(100))
        load_batch(conn, CONTACTS, [r.contact("crd_2", "100")], "r3", view=View.requested_now())  # restored
        load_batch(conn, INBOXES, [r.inbox("inb_1")], "r1")
        load_batch(conn, INBOXES, [{**r.inbox("inb_1"), "name": "Support 2"}], "r2")
        rows = fetch(
            conn,
            "SELECT id, name, deleted_at IS NULL, local_updated_at FROM front.contacts "
            "UNION ALL SELECT id, name, deleted_at IS NULL, local_updated_at FROM front.inboxes "
            "ORDER BY 1",
        )
    finally:
        conn.close()
    assert rows == [("crd_1", "Bea", True, None), ("crd_2", "Ann", True, None), ("inb_1", "Support 2", True, None)]


def test_the_loader_marks_its_own_transactions_whatever_the_session(migrated_url, plain):
    conn = psycopg.connect(migrated_url)  # not marked: the loader marks each batch transaction itself
    try:
        load_batch(conn, CONTACTS, [r.contact("crd_1", "100")], "r1")
        load_batch(conn, CONTACTS, [r.contact("crd_1", "200", name="Bea")], "r2")
        assert fetch(conn, "SELECT name, local_updated_at FROM front.contacts") == [("Bea", None)]
        edit(conn, "UPDATE front.contacts SET description = 'x'")  # the mark ended with the batch's transaction
        conn.commit()
        assert fetch(conn, "SELECT local_updated_at IS NOT NULL FROM front.contacts") == [(True,)]
    finally:
        conn.close()


def test_a_contact_edited_with_plain_sql_is_kept_against_an_older_front_version(migrated, plain):
    load_batch(migrated, CONTACTS, [r.contact("crd_1", "1700000000", name="Ann")], "r1")
    edit(plain, "UPDATE front.contacts SET name = 'Ann (VIP)' WHERE id = 'crd_1'")
    (edited_at,) = fetch(migrated, "SELECT extract(epoch FROM local_updated_at) FROM front.contacts")[0]
    assert edited_at is not None

    # Front's version is newer than the stored one but older than the local edit: the edit stays, both are kept.
    older = load_batch(migrated, CONTACTS, [r.contact("crd_1", "1700000100", name="Ann Front")], "r2")
    assert {k: v for k, v in older.counts.items() if v} == {"conflicts": 1}
    assert fetch(migrated, "SELECT name FROM front.contacts") == [("Ann (VIP)",)]
    assert fetch(
        migrated,
        "SELECT record_id, stored_row->>'name', incoming_row->>'name' FROM front.sync_conflicts "
        "WHERE resource = 'contacts'",
    ) == [("crd_1", "Ann (VIP)", "Ann Front")]

    # A Front version made after the local edit is the newer truth: it is applied, no conflict (DESIGN section 4).
    later = str(Decimal(edited_at).quantize(Decimal("0.001")) + 60)
    newer = load_batch(migrated, CONTACTS, [r.contact("crd_1", later, name="Ann Later")], "r3")
    assert {k: v for k, v in newer.counts.items() if v} == {"updated": 1}
    assert fetch(migrated, "SELECT name, local_updated_at IS NOT NULL FROM front.contacts") == [("Ann Later", True)]
    assert fetch(migrated, "SELECT count(*) FROM front.sync_conflicts") == [(1,)]


def test_an_inbox_edited_with_plain_sql_is_kept_until_a_reviewer_lets_front_win(migrated, plain):
    load_batch(migrated, INBOXES, [r.inbox("inb_1")], "r1")
    edit(plain, "UPDATE front.inboxes SET name = 'Local name' WHERE id = 'inb_1'")
    # Inboxes have no Front timestamp: any version after a local edit is a conflict, even an identical one.
    same = load_batch(migrated, INBOXES, [r.inbox("inb_1")], "r2")
    changed = load_batch(migrated, INBOXES, [{**r.inbox("inb_1"), "name": "Support 2"}], "r3")
    assert same.counts["conflicts"] == changed.counts["conflicts"] == 1
    assert fetch(migrated, "SELECT name FROM front.inboxes") == [("Local name",)]
    assert fetch(
        migrated, "SELECT stored_row->>'name', incoming_row->>'name' FROM front.sync_conflicts ORDER BY id"
    ) == [("Local name", "Support"), ("Local name", "Support 2")]

    # A statement that sets local_updated_at itself keeps its value: clearing it resolves the conflict for Front.
    edit(plain, "UPDATE front.inboxes SET local_updated_at = NULL WHERE id = 'inb_1'")
    assert fetch(migrated, "SELECT local_updated_at FROM front.inboxes") == [(None,)]
    resolved = load_batch(migrated, INBOXES, [{**r.inbox("inb_1"), "name": "Support 2"}], "r4")
    assert resolved.counts["updated"] == 1
    assert fetch(migrated, "SELECT name, local_updated_at FROM front.inboxes") == [("Support 2", None)]


def test_a_row_inserted_with_plain_sql_is_a_local_edit(migrated, plain):
    edit(
        plain,
        "INSERT INTO front.inboxes (id, name, raw, row_hash, sync_run_id) "
        "VALUES ('inb_1', 'Made here', '{}', 'local', 'manual')",
    )
    edit(
        plain,
        "INSERT INTO front.inboxes (id, name, raw, row_hash, sync_run_id, local_updated_at) "
        "VALUES ('inb_2', 'Dated', '{}', 'local', 'manual', to_timestamp(5))",
    )
    assert fetch(migrated, "SELECT id, extract(epoch FROM local_updated_at) > 5 FROM front.inboxes ORDER BY id") == [
        ("inb_1", True),
        ("inb_2", False),
    ]
    result = load_batch(migrated, INBOXES, [r.inbox("inb_1"), r.inbox("inb_3")], "r1")
    assert {k: v for k, v in result.counts.items() if v} == {"conflicts": 1, "created": 1}
    assert fetch(migrated, "SELECT id, name FROM front.inboxes WHERE id <> 'inb_2' ORDER BY id") == [
        ("inb_1", "Made here"),
        ("inb_3", "Support"),
    ]
