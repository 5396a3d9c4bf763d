"""sync_logs: one row per task run and resource, every record accounted for on every row."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

import psycopg
import pytest

from front_sync.ops import audit
from front_sync.resources import CONTACTS
from front_sync.warehouse import reconcile
from front_sync.warehouse.load import OUTCOMES, BatchResult, load_batch

from . import records as r
from .records import fetch

pytestmark = pytest.mark.integration  # needs the session's PostgreSQL server

WHO = audit.RunIdentity("manual__2026-01-01", "front_sync_full", "sync_contacts", 1)


def run_sync(conn, batches: list[list]) -> tuple[int, Counter]:
    """What the operator does: open the row, load batches, close the row with the counts."""
    row_id = audit.open_row(conn, WHO, "contacts", "full", None, Decimal("1767139200"), None)
    total, fetched = BatchResult(), 0
    for batch in batches:
        fetched += len(batch)
        total.add(load_batch(conn, CONTACTS, batch, WHO.run_id))
    counts = Counter({k: total.counts.get(k, 0) for k in OUTCOMES}, fetched=fetched)
    return row_id, counts


def test_every_outcome_is_counted_and_the_identity_holds(migrated):
    load_batch(
        migrated, CONTACTS, [r.contact("crd_1", "100"), r.contact("crd_2", "100"), r.contact("crd_3", "100")], "earlier"
    )
    with migrated.cursor() as cur:
        cur.execute("UPDATE front.contacts SET local_updated_at = to_timestamp(9e9) WHERE id = 'crd_3'")
    migrated.commit()
    batches = [
        [
            r.contact("crd_1", "50"),
            r.contact("crd_2", "100"),
            r.contact("crd_3", "200", name="x"),
            r.contact("crd_4", "100"),
            {"id": 7},
        ],
        [r.contact("crd_2", "300", name="Bea"), r.contact("crd_5", "1"), r.contact("crd_5", "1"), "junk"],
    ]
    row_id, counts = run_sync(migrated, batches)
    reconciled = reconcile.reconcile_deletions(migrated, CONTACTS, ["crd_2", "crd_3", "crd_4", "crd_5"], WHO.run_id)
    counts.update(deleted=reconciled.deleted, restored=reconciled.restored)
    audit.close_row(migrated, row_id, "success", counts, {"api_calls": 3}, Decimal("300"), None, {"pages": 2})
    row = fetch(
        migrated,
        "SELECT fetched, created, updated, unchanged, stale, conflicts, dead_lettered, deleted, "
        "restored, fetched_not_loaded, synced, status, api_calls, duration_seconds >= 0 "
        "FROM front.sync_logs",
    )
    assert row == [(9, 2, 1, 2, 1, 1, 2, 1, 0, 0, 5, "success", 3, True)]
    assert fetch(
        migrated,
        "SELECT count(*) FROM front.sync_logs WHERE fetched <> "
        "created + updated + unchanged + stale + conflicts + dead_lettered",
    ) == [(0,)]


def test_a_failed_run_accounts_for_the_batch_that_rolled_back(migrated):
    row_id, counts = run_sync(migrated, [[r.contact("crd_1"), r.contact("crd_2")]])
    counts["fetched"] += 100  # a page fetched whose batch then failed and rolled back
    audit.close_row(migrated, row_id, "failed", counts, {}, None, "OperationalError: server closed", {})
    assert fetch(
        migrated, "SELECT status, fetched, created, fetched_not_loaded, error_message FROM front.sync_logs"
    ) == [("failed", 2, 2, 100, "OperationalError: server closed")]


def test_a_success_that_lost_records_is_refused_by_the_table(migrated):
    row_id, counts = run_sync(migrated, [[r.contact("crd_1")]])
    counts["fetched"] += 1
    with pytest.raises(psycopg.errors.CheckViolation, match="sync_logs_success_loaded_everything"):
        audit.close_row(migrated, row_id, "success", counts, {}, None, None, {})
    migrated.rollback()


def test_more_outcomes_than_records_fetched_is_a_bug(migrated):
    with pytest.raises(ValueError, match="accounted for but only"):
        audit.accounting(Counter(fetched=1, created=2))


def test_the_table_enforces_the_identity_on_every_row(migrated):
    with migrated.cursor() as cur, pytest.raises(psycopg.errors.CheckViolation):
        cur.execute(
            "INSERT INTO front.sync_logs (run_id, dag_id, task_id, resource, sync_type, fetched, created) "
            "VALUES ('r', 'd', 't', 'contacts', 'full', 5, 4)"
        )
    migrated.rollback()


def test_the_next_try_closes_the_row_a_killed_try_left_running(migrated):
    first = audit.RunIdentity("run_1", "dag", "sync_contacts", 1)
    killed = audit.open_row(migrated, first, "contacts", "incremental", None, None, None)  # never closed
    other = audit.open_row(
        migrated, audit.RunIdentity("run_2", "dag", "sync_contacts", 1), "contacts", "incremental", None, None, None
    )
    audit.open_row(
        migrated, audit.RunIdentity("run_1", "dag", "sync_contacts", 2), "contacts", "incremental", None, None, None
    )
    with migrated.cursor() as cur:
        cur.execute("SELECT id, status, error_message FROM front.sync_logs ORDER BY id")
        rows = {row[0]: row[1:] for row in cur.fetchall()}
    migrated.commit()
    assert rows[killed][0] == "failed" and "try 1 ended without closing its row" in rows[killed][1]
    assert rows[other][0] == "running"  # another run's row is not this try's business
