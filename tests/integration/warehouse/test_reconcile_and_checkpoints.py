"""Soft-delete reconciliation after a completed full listing, explicit soft deletes, and resumable checkpoints."""

from __future__ import annotations

from decimal import Decimal

import psycopg
import pytest

from front_sync.resources import CONTACT_CUSTOM_FIELDS, CONTACTS, CONVERSATION_CUSTOM_FIELDS, CONVERSATIONS
from front_sync.warehouse import checkpoints, reconcile
from front_sync.warehouse.load import load_batch
from front_sync.warehouse.prepare import View

from . import records as r
from .records import fetch

pytestmark = pytest.mark.integration  # needs the session's PostgreSQL server


def contacts(n: int) -> list[dict]:
    return [r.contact(f"crd_{i}", handles=(("email", f"c{i}@x.io"),)) for i in range(n)]


def test_unseen_rows_are_soft_deleted_and_restored_when_seen_again(migrated):
    load_batch(migrated, CONTACTS, contacts(5), "r1")
    result = reconcile.reconcile_deletions(migrated, CONTACTS, iter(["crd_0", "crd_1", "crd_2"]), "full1")
    assert result == reconcile.ReconcileResult(deleted=2, restored=0)
    assert fetch(migrated, "SELECT id FROM front.contacts WHERE deleted_at IS NOT NULL ORDER BY id") == [
        ("crd_3",),
        ("crd_4",),
    ]
    assert fetch(migrated, "SELECT count(*) FROM front.contact_handles") == [(5,)]  # soft: nothing removed
    again = reconcile.reconcile_deletions(migrated, CONTACTS, ["crd_0", "crd_1", "crd_2", "crd_3", "crd_3"], "full2")
    assert again == reconcile.ReconcileResult(deleted=0, restored=1)
    assert fetch(migrated, "SELECT id, sync_run_id FROM front.contacts WHERE deleted_at IS NOT NULL") == [
        ("crd_4", "full1")
    ]


def test_a_soft_deleted_row_that_front_returns_again_is_restored_by_the_load(migrated):
    load_batch(migrated, CONTACTS, contacts(2), "r1")
    # seen gone as of the view the row holds: the same updated_at observed later (or a newer one) brings it back
    reconcile.reconcile_deletions(migrated, CONTACTS, ["crd_0"], "full1", view_at=Decimal("1700000000"))
    result = load_batch(migrated, CONTACTS, contacts(2), "r2", view=View.requested_now())  # identical, but deleted
    assert result.counts["updated"] == 1 and result.counts["unchanged"] == 1
    assert fetch(migrated, "SELECT count(*) FROM front.contacts WHERE deleted_at IS NOT NULL") == [(0,)]


def test_reconciliation_refuses_an_implausible_listing(migrated):
    load_batch(migrated, CONTACTS, contacts(40), "r1")
    with pytest.raises(reconcile.ReconcileRefused, match="40 of 40"):
        reconcile.reconcile_deletions(migrated, CONTACTS, [], "full1")
    assert fetch(migrated, "SELECT count(*) FROM front.contacts WHERE deleted_at IS NULL") == [(40,)]
    forced = reconcile.reconcile_deletions(migrated, CONTACTS, [], "full1", max_deleted_share=1.0)
    assert forced.deleted == 40


def test_reconciliation_stays_inside_the_listed_scope(migrated):
    load_batch(migrated, CONTACT_CUSTOM_FIELDS, [r.custom_field("fld_1"), r.custom_field("fld_2", "VIP")], "r1")
    load_batch(migrated, CONVERSATION_CUSTOM_FIELDS, [r.custom_field("fld_3", "Priority")], "r1")
    load_batch(migrated, CONTACTS, [r.contact(None, handles=(("email", "p@x.io"),))], "r1")  # provisional
    load_batch(migrated, CONVERSATIONS, [r.conversation("cnv_1"), r.conversation("cnv_2")], "r1")
    assert reconcile.reconcile_deletions(migrated, CONTACT_CUSTOM_FIELDS, ["fld_1"], "f").deleted == 1
    assert reconcile.reconcile_deletions(migrated, CONTACTS, [], "f").deleted == 0
    assert (
        reconcile.reconcile_deletions(migrated, CONVERSATIONS, ["cnv_1"], "f", where={"type": "discussion"}).deleted
        == 0
    )
    assert fetch(migrated, "SELECT id FROM front.custom_fields WHERE deleted_at IS NOT NULL") == [("fld_2",)]


def test_soft_delete_marks_rows_front_reports_gone(migrated):
    load_batch(migrated, CONVERSATIONS, [r.conversation("cnv_1"), r.conversation("cnv_2")], "r1")
    assert reconcile.soft_delete(migrated, CONVERSATIONS, ["cnv_2", "cnv_2", "cnv_404"], "merge") == 1
    assert reconcile.soft_delete(migrated, CONVERSATIONS, ["cnv_2"], "merge") == 0
    assert fetch(migrated, "SELECT id FROM front.conversations WHERE deleted_at IS NOT NULL") == [("cnv_2",)]


def test_checkpoint_save_load_clear(migrated):
    key = checkpoints.CheckpointKey("front_sync_backfill", "conversations", "2024-01..2024-06")
    assert checkpoints.load(migrated, key) is None
    checkpoints.save(migrated, key, {"next": "https://acme.api.frontapp.com/conversations?page_token=p1"}, "run1")
    checkpoints.save(migrated, key, {"next": "p2", "after": Decimal("1701292639.125")}, "run1")
    assert checkpoints.load(migrated, key) == {"next": "p2", "after": "1701292639.125"}
    other = checkpoints.CheckpointKey("front_sync_backfill", "conversations", "other-range")
    assert checkpoints.load(migrated, other) is None
    assert fetch(migrated, "SELECT saves FROM front.sync_checkpoints") == [(2,)]
    assert checkpoints.clear(migrated, key) is True
    assert checkpoints.clear(migrated, key) is False
    assert checkpoints.load(migrated, key) is None


def test_checkpoint_commits_with_its_batch_and_not_without_it(migrated):
    key = checkpoints.CheckpointKey("front_sync_backfill", "contacts", "all")
    load_batch(migrated, CONTACTS, contacts(2), "run1", checkpoint=(key, {"page": 1}))
    assert checkpoints.load(migrated, key) == {"page": 1}
    with migrated.cursor() as cur:
        cur.execute("ALTER TABLE front.contact_handles RENAME TO contact_handles_gone")
    migrated.commit()
    try:
        with pytest.raises(psycopg.errors.UndefinedTable):
            load_batch(migrated, CONTACTS, contacts(4), "run1", checkpoint=(key, {"page": 2}))
    finally:
        with migrated.cursor() as cur:
            cur.execute("ALTER TABLE front.contact_handles_gone RENAME TO contact_handles")
        migrated.commit()
    assert checkpoints.load(migrated, key) == {"page": 1}
    assert fetch(migrated, "SELECT count(*) FROM front.contacts") == [(2,)]


@pytest.mark.parametrize(
    ("resource", "old", "new"),
    [
        (
            CONTACTS,
            lambda: r.contact("crd_moved", updated_at="1700000000.000", handles=(("email", "m@x.io"),)),
            lambda: r.contact("crd_moved", updated_at="1750000000.000", name="Bob", handles=(("email", "m@x.io"),)),
        ),
        (
            CONVERSATIONS,
            lambda: r.conversation("cnv_moved", updated_at="1701292639.000"),
            lambda: r.conversation("cnv_moved", updated_at="1751292639.000", status="archived"),
        ),
    ],
)
def test_item_2_a_listing_never_soft_deletes_or_restores_a_row_written_after_it_started(migrated, resource, old, new):
    """Issue 19 item 2: a row not yet reached by a paged listing moves above its cursor (a reply bumps the
    conversation) and the hourly run writes it meanwhile: the completed listing, which never saw it, leaves it."""
    others = (
        [r.contact(f"crd_{i}", handles=(("email", f"c{i}@x.io"),)) for i in range(3)]
        if resource is CONTACTS
        else [r.conversation(f"cnv_{i}") for i in range(3)]
    )
    load_batch(migrated, resource, [old(), *others], "r1")
    started = reconcile.database_clock(migrated)
    load_batch(migrated, resource, [new()], "hourly")  # the hourly run applies the change during the listing
    seen = [o["id"] for o in others]
    result = reconcile.reconcile_deletions(migrated, resource, seen, "full1", listing_started=started)
    assert result.deleted == 0
    assert fetch(
        migrated,
        f"SELECT deleted_at FROM front.{resource.name} WHERE id = %s",  # noqa: S608
        (new()["id"],),
    ) == [(None,)]
    # A row nothing touched since the start is still reconciled, and a later complete listing deletes the moved
    # row if Front really stopped listing it.
    assert (
        reconcile.reconcile_deletions(
            migrated, resource, seen[1:], "full2", listing_started=reconcile.database_clock(migrated)
        ).deleted
        == 2
    )
