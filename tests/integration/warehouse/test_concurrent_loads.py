"""Two loads of the same rows at once: a newer version committed meanwhile is never overwritten by an older one."""

from __future__ import annotations

import threading
import time

import psycopg
import pytest

from front_sync.resources import CONTACTS
from front_sync.warehouse.load import load_batch

from . import records as r
from .records import fetch

pytestmark = pytest.mark.integration  # needs the session's PostgreSQL server


def wait_until_blocked(conn, application_name: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if fetch(
            conn,
            "SELECT 1 FROM pg_stat_activity WHERE application_name = %s AND wait_event_type = 'Lock'",
            (application_name,),
        ):
            return
        time.sleep(0.02)
    raise AssertionError("the second load never waited for the first one's row lock")


def test_a_slower_older_load_does_not_overwrite_a_newer_commit(migrated, migrated_url):
    load_batch(migrated, CONTACTS, [r.contact("crd_1", "100", name="v100", handles=(("email", "old@x.io"),))], "r0")
    newer = psycopg.connect(migrated_url)
    older = psycopg.connect(migrated_url, application_name="older_load")
    with newer.cursor() as cur:  # a concurrent load wrote v300 and has not committed yet
        cur.execute(
            "UPDATE front.contacts SET updated_at = 300, view_at = 300, name = 'v300', row_hash = 'h300' "
            "WHERE id = 'crd_1'"
        )
    results = {}

    def load_older():
        results["older"] = load_batch(
            older, CONTACTS, [r.contact("crd_1", "200", name="v200", handles=(("email", "v200@x.io"),))], "r2"
        )

    thread = threading.Thread(target=load_older)
    thread.start()
    wait_until_blocked(migrated, "older_load")
    newer.commit()
    thread.join(timeout=10)
    newer.close()
    older.close()
    assert {k: v for k, v in results["older"].counts.items() if v} == {"stale": 1}
    assert fetch(migrated, "SELECT name, updated_at FROM front.contacts") == [("v300", 300)]
    assert fetch(migrated, "SELECT handle FROM front.contact_handles") == [("old@x.io",)]


@pytest.mark.parametrize(
    ("concurrent_version", "outcome", "name"),
    [("300", "stale", "v300"), ("100", "updated", "v200")],
    ids=["concurrent-insert-is-newer", "concurrent-insert-is-older"],
)
def test_a_new_id_inserted_concurrently_goes_through_the_guarded_upsert(
    migrated, migrated_url, concurrent_version, outcome, name
):
    other = psycopg.connect(migrated_url)
    loader = psycopg.connect(migrated_url, application_name="racing_load")
    with other.cursor() as cur:  # another load inserts the same new contact and has not committed yet
        cur.execute(
            "INSERT INTO front.contacts (id, name, updated_at, view_at, raw, row_hash, sync_run_id) "
            "VALUES ('crd_9', %s, %s, %s, '{}', 'h', 'other')",
            (f"v{concurrent_version}", concurrent_version, concurrent_version),
        )
    results = {}

    def load():
        results["r"] = load_batch(loader, CONTACTS, [r.contact("crd_9", "200", name="v200")], "mine")

    thread = threading.Thread(target=load)
    thread.start()
    wait_until_blocked(migrated, "racing_load")
    other.commit()
    thread.join(timeout=10)
    other.close()
    loader.close()
    assert {k: v for k, v in results["r"].counts.items() if v} == {outcome: 1}
    assert fetch(migrated, "SELECT name FROM front.contacts") == [(name,)]
    handles = fetch(migrated, "SELECT count(*) FROM front.contact_handles")
    assert handles == [(1 if outcome == "updated" else 0,)]
