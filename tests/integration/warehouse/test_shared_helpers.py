"""Issue 20 item 4: the one transaction helper and the one audit-row wrapper, on a real PostgreSQL."""

from __future__ import annotations

import psycopg
import pytest

from front_sync.ops import audit
from front_sync.resources import CONTACTS
from front_sync.warehouse.load import load_batch
from front_sync.warehouse.transaction import transaction

from . import records as r
from .records import fetch

pytestmark = pytest.mark.integration
WHO = audit.RunIdentity("manual__2026-01-01", "front_sync_full", "sync_contacts", 1)


def test_item4_a_transaction_commits_its_block_and_rolls_back_a_block_that_raises(migrated):
    load_batch(migrated, CONTACTS, [r.contact("crd_1"), r.contact("crd_2")], "r0")
    with transaction(migrated) as cur:
        cur.execute("UPDATE front.contacts SET name = 'kept' WHERE id = 'crd_1'")
    with pytest.raises(KeyboardInterrupt), transaction(migrated) as cur:  # a kill, not only an Exception
        cur.execute("UPDATE front.contacts SET name = 'undone' WHERE id = 'crd_2'")
        raise KeyboardInterrupt
    assert fetch(migrated, "SELECT id, name FROM front.contacts ORDER BY id") == [("crd_1", "kept"), ("crd_2", "Ann")]


def test_item4_a_sync_writer_transaction_is_not_taken_for_a_local_edit(migrated, migrated_url):
    load_batch(migrated, CONTACTS, [r.contact("crd_1"), r.contact("crd_2")], "r0")
    with psycopg.connect(migrated_url) as plain:  # not marked as the sync's session
        with transaction(plain, sync_writer=True) as cur:
            cur.execute("UPDATE front.contacts SET name = 'sync' WHERE id = 'crd_1'")
        with transaction(plain) as cur:
            cur.execute("UPDATE front.contacts SET name = 'analyst' WHERE id = 'crd_2'")
    assert fetch(migrated, "SELECT id, local_updated_at IS NOT NULL FROM front.contacts ORDER BY id") == [
        ("crd_1", False),
        ("crd_2", True),
    ]


def test_item4_the_audit_row_is_closed_success_with_what_the_work_filled_in(migrated):
    with audit.audited(migrated, WHO, "contacts", "full", before_close=lambda row: row.api.update(api_calls=4)) as row:
        row.counts.update(fetched=2, created=2)
        row.metadata["pages"] = 1
    assert fetch(migrated, "SELECT status, fetched, created, api_calls, metadata->>'pages' FROM front.sync_logs") == [
        ("success", 2, 2, 4, "1")
    ]


def test_item4_the_audit_row_is_closed_failed_when_the_work_raises_and_the_error_goes_on(migrated):
    with pytest.raises(RuntimeError, match="Front went away"), audit.audited(migrated, WHO, "contacts", "full") as row:
        row.counts.update(fetched=5, created=1)
        raise RuntimeError("Front went away")
    assert fetch(migrated, "SELECT status, fetched, fetched_not_loaded, error_message FROM front.sync_logs") == [
        ("failed", 1, 4, "RuntimeError: Front went away")
    ]
