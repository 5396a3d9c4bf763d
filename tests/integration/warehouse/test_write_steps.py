"""Issue 20 item 3: each named step of the write path (warehouse/write.py) on a real PostgreSQL, one job each.

A step runs inside the loader's own transaction, as write_classified calls it; a second connection plays the
concurrent load that commits between classify and write.
"""

from __future__ import annotations

from decimal import Decimal

import psycopg
import pytest
from psycopg import sql

from front_sync.resources import CONTACTS, TEAMS
from front_sync.warehouse import write
from front_sync.warehouse.load import load_batch
from front_sync.warehouse.prepare import View, prepare
from front_sync.warehouse.sql_files import load_sql
from front_sync.warehouse.write_sql import KEYS, reset_keys, statements

from . import records as r
from .records import fetch

pytestmark = pytest.mark.integration


def _items(records: list[dict]) -> list:
    return list(prepare(CONTACTS, records, "run")[0].values())


@pytest.fixture
def step(migrated):
    """(cursor, statements) inside one loader transaction, as write_classified runs the steps."""
    cur = migrated.cursor()
    cur.execute(load_sql("load/sync_writer"))
    st = statements(cur, CONTACTS)
    reset_keys(cur)
    yield cur, st
    migrated.rollback()


def _ids(items: list) -> list[str]:
    return sorted(item.id for item in items)


def _concurrently(url: str, records: list[dict]) -> None:
    """Another load commits these records now."""
    with psycopg.connect(url) as other:
        load_batch(other, CONTACTS, records, "other")


def test_item3_classify_sorts_each_item_by_the_four_conflict_rules(migrated, migrated_url, step):
    load_batch(
        migrated,
        CONTACTS,
        [r.contact(i, "100") for i in ("crd_old", "crd_same", "crd_edit")] + [r.contact("crd_newer", "300")],
        "r0",
    )
    with psycopg.connect(migrated_url, autocommit=True) as local:  # an analyst's edit: local_updated_at is set
        local.execute("UPDATE front.contacts SET name = 'edited' WHERE id = 'crd_edit'")
    cur, st = step
    classified = write.classify(
        cur,
        st,
        _items(
            [
                r.contact("crd_old", "200", name="new"),
                r.contact("crd_same", "100"),
                r.contact("crd_edit", "200"),
                r.contact("crd_newer", "200"),
                r.contact("crd_new", "100"),
            ]
        ),
    )
    assert {k: _ids(v) for k, v in classified.by_outcome.items()} == {
        "updated": ["crd_old"],
        "unchanged": ["crd_same"],
        "conflict": ["crd_edit"],
        "stale": ["crd_newer"],
    }
    assert _ids(classified.created) == ["crd_new"]


def test_item3_update_changed_leaves_a_row_a_concurrent_load_wrote_newer_and_says_so(migrated, migrated_url, step):
    load_batch(migrated, CONTACTS, [r.contact("crd_1", "100"), r.contact("crd_2", "100")], "r0")
    cur, st = step
    classified = write.classify(
        cur, st, _items([r.contact("crd_1", "200", name="mine"), r.contact("crd_2", "200", name="mine")])
    )
    _concurrently(migrated_url, [r.contact("crd_1", "300", name="theirs")])
    write.stage_changed(cur, st, classified)
    updated = write.update_changed(cur, st, classified)
    assert (_ids(updated.updated), _ids(updated.lost)) == (["crd_2"], ["crd_1"])
    cur.execute("SELECT id, name FROM front.contacts ORDER BY id")
    assert cur.fetchall() == [("crd_1", "theirs"), ("crd_2", "mine")]


def test_item3_insert_created_falls_back_to_the_guarded_upsert_and_correct_concurrent_records_it(
    migrated, migrated_url, step
):
    cur, st = step
    mine = [r.contact(i, "200", name="mine") for i in ("crd_a", "crd_b", "crd_c")]
    classified = write.classify(cur, st, _items(mine))
    assert _ids(classified.created) == ["crd_a", "crd_b", "crd_c"]
    _concurrently(migrated_url, [r.contact("crd_a", "300", name="theirs"), r.contact("crd_b", "100", name="theirs")])
    inserted = write.insert_created(cur, st, classified.created)
    assert (_ids(inserted.inserted), _ids(inserted.upserted), _ids(inserted.lost)) == (["crd_c"], ["crd_b"], ["crd_a"])
    assert inserted.stage is not None
    write.correct_concurrent(cur, write.Updated([], []), inserted)
    cur.execute(sql.SQL("SELECT id, _outcome FROM {} ORDER BY id").format(KEYS))
    assert cur.fetchall() == [("crd_a", "stale"), ("crd_b", "updated"), ("crd_c", "created")]
    cur.execute("SELECT id, name FROM front.contacts ORDER BY id")
    assert cur.fetchall() == [("crd_a", "theirs"), ("crd_b", "mine"), ("crd_c", "mine")]


def test_item3_insert_created_copies_new_rows_straight_in(step):
    cur, st = step
    inserted = write.insert_created(cur, st, _items([r.contact("crd_1"), r.contact("crd_2")]))
    assert (_ids(inserted.inserted), inserted.upserted, inserted.lost, inserted.stage) == (
        ["crd_1", "crd_2"],
        [],
        [],
        None,
    )


def test_item3_replace_nested_rows_replaces_the_handles_of_updated_rows_only(migrated, step):
    load_batch(
        migrated,
        CONTACTS,
        [
            r.contact("crd_1", "100", handles=(("email", "old@x.io"),)),
            r.contact("crd_2", "100", handles=(("email", "two@x.io"),)),
        ],
        "r0",
    )
    cur, st = step
    items = _items(
        [
            r.contact("crd_1", "200", handles=(("email", "new@x.io"),)),
            r.contact("crd_3", "200", handles=(("email", "three@x.io"),)),
        ]
    )
    classified = write.classify(cur, st, items)
    write.stage_changed(cur, st, classified)
    updated = write.update_changed(cur, st, classified)
    inserted = write.insert_created(cur, st, classified.created)
    write.replace_nested_rows(cur, st, [*inserted.inserted, *updated.updated], replaces=True)
    cur.execute("SELECT contact_id, handle FROM front.contact_handles ORDER BY 1")
    assert cur.fetchall() == [("crd_1", "new@x.io"), ("crd_2", "two@x.io"), ("crd_3", "three@x.io")]


def test_item3_write_all_new_gives_way_to_the_conflict_rules_when_an_id_is_stored(migrated, step):
    load_batch(migrated, CONTACTS, [r.contact("crd_1", "100")], "r0")
    cur, st = step
    assert write.write_all_new(cur, st, _items([r.contact("crd_2"), r.contact("crd_1", "200")])) is None
    cur.execute("SELECT id FROM front.contacts")
    assert cur.fetchall() == [("crd_1",)]  # rolled back to its savepoint: crd_2 is not half-written
    assert write.write_all_new(cur, st, _items([r.contact("crd_2")])) == {"created": 1}


def test_item3_write_classified_adds_up_the_counts_each_step_returned(migrated, migrated_url, step):
    load_batch(migrated, CONTACTS, [r.contact("crd_1", "100"), r.contact("crd_2", "100")], "r0")
    cur, st = step
    items = _items([r.contact("crd_1", "200", name="x"), r.contact("crd_2", "100"), r.contact("crd_3", "200")])
    counts = write.write_classified(cur, st, items)
    assert {k: v for k, v in counts.items() if v} == {"updated": 1, "unchanged": 1, "created": 1}
    assert fetch(migrated, "SELECT count(*) FROM front.contacts") == [(3,)]


def test_item3_advance_unchanged_moves_the_view_time_of_rows_seen_again_in_a_newer_view(migrated):
    """Teams have no updated_at: their view time is the listing's, and an unchanged row seen later takes it."""
    load_batch(migrated, TEAMS, [r.team("tim_1")], "r0", view=View(at=Decimal("100")))
    with migrated.cursor() as cur:
        cur.execute(load_sql("load/sync_writer"))
        st = statements(cur, TEAMS)
        reset_keys(cur)
        items = list(prepare(TEAMS, [r.team("tim_1")], "run", view=View(at=Decimal("200")))[0].values())
        classified = write.classify(cur, st, items)
        assert _ids(classified.of("unchanged")) == ["tim_1"]
        write.advance_unchanged(cur, st, classified)
    migrated.commit()
    assert fetch(migrated, "SELECT view_at FROM front.teams") == [(Decimal("200.000"),)]


def test_item3_record_conflicts_keeps_both_versions_of_a_row_edited_locally(migrated, migrated_url, step):
    load_batch(migrated, CONTACTS, [r.contact("crd_1", "100")], "r0")
    with psycopg.connect(migrated_url, autocommit=True) as local:
        local.execute("UPDATE front.contacts SET name = 'edited' WHERE id = 'crd_1'")
    cur, st = step
    classified = write.classify(cur, st, _items([r.contact("crd_1", "200", name="Front's")]))
    assert write.stage_changed(cur, st, classified) == st.stage
    write.record_conflicts(cur, st, classified)
    cur.execute("SELECT record_id, stored_row->>'name', incoming_row->>'name' FROM front.sync_conflicts")
    assert cur.fetchall() == [("crd_1", "edited", "Front's")]
