"""Migrations and the batch loader on a real PostgreSQL: conflict rules, children, dead letters, concurrency."""

from __future__ import annotations

import threading
from decimal import Decimal

import psycopg
import pytest

from front_sync.resources import CONTACTS
from front_sync.warehouse import migrations
from front_sync.warehouse.load import load_batch

pytestmark = pytest.mark.integration  # needs the session's PostgreSQL server


@pytest.fixture
def migrated(warehouse_url):
    conn = psycopg.connect(warehouse_url)
    migrations.migrate(conn)
    yield conn
    conn.close()


def contact(cid: str, updated_at: str, name: str = "Ann", handles=(("email", "ann@example.com"),)) -> dict:
    return {
        "id": cid,
        "name": name,
        "updated_at": Decimal(updated_at),
        "is_private": False,
        "handles": [{"source": s, "handle": h} for s, h in handles],
        "custom_fields": {},
    }


def fetch(conn, query, params=None):
    with conn.cursor() as cur:
        cur.execute(query, params)
        rows = cur.fetchall()
    conn.commit()
    return rows


def test_two_concurrent_runners_apply_each_migration_once(warehouse_url):
    results, errors = [], []

    def run():
        conn = psycopg.connect(warehouse_url)
        try:
            results.append(migrations.migrate(conn))
        except Exception as exc:  # noqa: BLE001 - surfaced by the assertion below
            errors.append(exc)
        finally:
            conn.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    names = [m.name for m in migrations.available_migrations()]
    assert sorted(results, key=len) == [[], names]
    conn = psycopg.connect(warehouse_url)
    assert [r[0] for r in fetch(conn, "SELECT name FROM front.schema_migrations ORDER BY version")] == names
    conn.close()


def test_changed_applied_migration_is_refused(migrated):
    with migrated.cursor() as cur:
        cur.execute("UPDATE front.schema_migrations SET checksum = 'edited' WHERE version = 1")
    migrated.commit()
    with pytest.raises(RuntimeError, match="changed after it was applied"):
        migrations.migrate(migrated)


def test_conflict_rules_in_order(migrated):
    first = load_batch(
        migrated,
        CONTACTS,
        [
            contact("crd_1", "100.000"),
            contact("crd_2", "100.000"),
            contact("crd_3", "100.000"),
            contact("crd_4", "100.000"),
        ],
        "run1",
    )
    assert first.counts["created"] == 4 and first.max_cursor == Decimal("100.000")
    with migrated.cursor() as cur:  # a local edit made after Front's timestamp of the next version of crd_3
        cur.execute("UPDATE front.contacts SET local_updated_at = to_timestamp(500), name = 'Local' WHERE id = 'crd_3'")
    migrated.commit()
    second = load_batch(
        migrated,
        CONTACTS,
        [
            contact("crd_1", "90.000", name="Older"),  # stale
            contact("crd_2", "100.000"),  # unchanged
            contact("crd_3", "200.000", name="Front edit"),  # conflict
            contact("crd_4", "200.000", name="Bea"),  # updated
            contact("crd_5", "150.000"),  # created
        ],
        "run2",
    )
    assert {k: v for k, v in second.counts.items() if v} == {
        "stale": 1,
        "unchanged": 1,
        "conflicts": 1,
        "updated": 1,
        "created": 1,
    }
    names = dict(fetch(migrated, "SELECT id, name FROM front.contacts"))
    assert names == {"crd_1": "Ann", "crd_2": "Ann", "crd_3": "Local", "crd_4": "Bea", "crd_5": "Ann"}
    conflicts = fetch(
        migrated, "SELECT record_id, stored_row->>'name', incoming_row->>'name' FROM front.sync_conflicts"
    )
    assert conflicts == [("crd_3", "Local", "Front edit")]
    load_batch(migrated, CONTACTS, [contact("crd_3", "200.000", name="Front edit")], "run3")
    assert len(fetch(migrated, "SELECT 1 FROM front.sync_conflicts")) == 1  # same version: not recorded twice


def test_same_batch_twice_is_idempotent(migrated):
    batch = [contact(f"crd_{i}", f"{100 + i}.5") for i in range(50)]
    load_batch(migrated, CONTACTS, batch, "run1")
    before = fetch(migrated, "SELECT id, row_hash, last_synced_at, sync_run_id FROM front.contacts ORDER BY id")
    again = load_batch(migrated, CONTACTS, batch, "run2")
    assert again.counts["unchanged"] == 50 and again.counts["created"] == again.counts["updated"] == 0
    assert fetch(migrated, "SELECT id, row_hash, last_synced_at, sync_run_id FROM front.contacts ORDER BY id") == before


def test_children_are_replaced_with_their_parent(migrated):
    load_batch(migrated, CONTACTS, [contact("crd_1", "1", handles=[("email", "A@x.io"), ("phone", "+1")])], "r1")
    load_batch(migrated, CONTACTS, [contact("crd_1", "2", handles=[("email", "A@x.io")])], "r2")
    rows = fetch(migrated, "SELECT source, handle, handle_normalized FROM front.contact_handles")
    assert rows == [("email", "A@x.io", "a@x.io")]


def test_bad_record_is_dead_lettered_and_the_rest_loads(migrated):
    batch = [
        contact("crd_1", "1"),
        {"name": "no id \x00 here"},
        contact("crd_2", "1"),
        {"id": "crd_odd", "updated_at": "tomorrow"},
        ["not", "an", "object"],
    ]
    result = load_batch(migrated, CONTACTS, batch, "r1")
    assert result.counts["created"] == 3 and result.counts["dead_lettered"] == 2 and result.counts["untyped"] == 1
    dead = fetch(
        migrated,
        "SELECT record_id, payload->>'name', error FROM front.dead_letters ORDER BY record_id NULLS FIRST, error",
    )
    assert dead[0][:2] == (None, "no id  here") and "missing id" in dead[0][2]
    assert dead[1][0] is None and "record is not an object" in dead[1][2]
    assert fetch(
        migrated, "SELECT updated_at, raw->>'updated_at', untyped_fields FROM front.contacts WHERE id = 'crd_odd'"
    ) == [(None, "tomorrow", [{"field": "updated_at", "reason": "not a number"}])]


def test_failed_batch_leaves_nothing_behind(migrated):
    with migrated.cursor() as cur:
        cur.execute("ALTER TABLE front.contact_handles RENAME TO contact_handles_gone")
    migrated.commit()
    with pytest.raises(psycopg.Error):
        load_batch(migrated, CONTACTS, [contact("crd_1", "1")], "r1")
    assert fetch(migrated, "SELECT count(*) FROM front.contacts") == [(0,)]
