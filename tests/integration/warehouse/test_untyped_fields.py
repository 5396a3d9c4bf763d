"""One value that cannot be typed never loses its record: it lands with that column null, raw whole, the field
listed in untyped_fields, and the row counted in BatchResult.counts["untyped"] and sync_logs.untyped."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

import pytest

from front_sync.ops import audit
from front_sync.resources import CONTACTS, CONVERSATIONS, MESSAGES, TEAMMATES
from front_sync.warehouse.load import OUTCOMES, BatchResult, load_batch

from . import records as r
from .records import fetch

pytestmark = pytest.mark.integration  # needs the session's PostgreSQL server

WHO = audit.RunIdentity("manual__2026-01-01", "front_sync_incremental", "sync_messages", 1)


def odd_batches() -> list[tuple]:
    """Spec-valid records with one odd optional field each, beside records that cannot be keyed."""
    return [
        (
            CONTACTS,
            [
                r.contact("crd_neg", "1700000000"),
                {**r.contact("crd_odd"), "updated_at": -1},
                {**r.contact("crd_ms"), "updated_at": 1700000000000},
                r.contact(None, handles=()),
                "junk",
            ],
        ),
        (TEAMMATES, [{**r.teammate("tea_odd"), "license_type": 5}, r.teammate("tea_ok", "ok@x.io")]),
        (
            MESSAGES,
            [
                {**r.message("msg_odd"), "attachments": [r.attachment("fil_1", size=-1)]},
                r.message("msg_ok"),
                {**r.message("msg_ok2"), "id": 42},
            ],
        ),
        (CONVERSATIONS, [{**r.conversation("cnv_odd"), "tags": [{"name": "no id"}, r.tag("tag_1")]}]),
    ]


def test_odd_records_land_and_are_counted_up_to_sync_logs(migrated):
    row_id = audit.open_row(migrated, WHO, "mixed", "incremental", None, None, None)
    total, fetched = BatchResult(), 0
    for resource, batch in odd_batches():
        fetched += len(batch)
        total.add(load_batch(migrated, resource, batch, WHO.run_id))
    assert {k: v for k, v in total.counts.items() if v} == {"created": 8, "dead_lettered": 3, "untyped": 5}
    counts = Counter({k: total.counts[k] for k in (*OUTCOMES, "untyped")}, fetched=fetched)
    audit.close_row(migrated, row_id, "success", counts, {}, None, None, {})
    assert fetch(migrated, "SELECT fetched, created, dead_lettered, untyped FROM front.sync_logs") == [(11, 8, 3, 5)]

    rows = fetch(
        migrated,
        """
        SELECT id, untyped_fields FROM front.contacts UNION ALL SELECT id, untyped_fields FROM front.teammates
        UNION ALL SELECT id, untyped_fields FROM front.messages UNION ALL SELECT id, untyped_fields
        FROM front.conversations""",
    )
    odd = {"field": "updated_at", "reason": "out of range for epoch seconds"}
    assert dict(rows) == {
        "cnv_odd": [{"field": "tags[0].id", "reason": "missing"}],
        "crd_ms": [odd],
        "crd_neg": None,
        "crd_odd": [odd],
        "msg_odd": [{"field": "attachments[0].size", "reason": "negative"}],
        "msg_ok": None,
        "tea_ok": None,
        "tea_odd": [{"field": "license_type", "reason": "not a string: int"}],
    }
    assert fetch(
        migrated,
        "SELECT updated_at, raw->>'updated_at' FROM front.contacts WHERE id IN ('crd_odd', 'crd_ms') ORDER BY id",
    ) == [(None, "1700000000000"), (None, "-1")]
    assert fetch(migrated, "SELECT license_type, raw->>'license_type' FROM front.teammates WHERE id = 'tea_odd'") == [
        (None, "5")
    ]
    assert fetch(
        migrated, "SELECT attachment_id, size FROM front.message_attachments WHERE message_id = 'msg_odd'"
    ) == [("fil_1", None)]
    assert fetch(migrated, "SELECT tag_id FROM front.conversation_tags") == [("tag_1",)]
    assert fetch(migrated, "SELECT count(*) FROM front.dead_letters") == [(3,)]


def test_untyped_fields_follow_the_version_stored(migrated):
    odd = {**r.contact("crd_1", "100"), "name": 5}
    first = load_batch(migrated, CONTACTS, [odd], "r1")
    again = load_batch(migrated, CONTACTS, [odd], "r2")  # same raw: unchanged, not rewritten, not counted again
    fixed = load_batch(migrated, CONTACTS, [r.contact("crd_1", "200", name="Ann")], "r3")
    assert (first.counts["untyped"], again.counts["unchanged"], again.counts["untyped"]) == (1, 1, 0)
    assert fixed.counts["updated"] == 1 and fixed.counts["untyped"] == 0
    assert fetch(migrated, "SELECT name, untyped_fields FROM front.contacts") == [("Ann", None)]
    assert fetch(migrated, "SELECT count(*) FROM front.dead_letters") == [(0,)]


def test_the_operator_sums_untyped_rows_into_its_counts():
    from front_sync.sync.operators import Outcome

    outcome = Outcome()
    outcome.absorb(BatchResult(Counter(created=2, untyped=1, provisional_merged=1), Decimal("5")), fetched=2)
    outcome.absorb(BatchResult(Counter(updated=1, untyped=1)), fetched=1)
    assert outcome.counts["untyped"] == 2 and outcome.counts["created"] == 2
    assert outcome.metadata == {"provisional_merged": 1}
    assert audit.accounting(outcome.counts)["untyped"] == 2
