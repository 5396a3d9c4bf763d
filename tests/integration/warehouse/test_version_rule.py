"""Issue 19 item 1 (the version rule): no write replaces a newer view of a record with an older one, whatever path
it came by; a field a payload leaves out keeps its stored value (the issue's "suspected" item, absent is not null).

Payloads go through the real paths: the events path (ChangeSet, then conversation_changes' flush, as from_events
does for every batch; an `airflow backfill create --reprocess-behavior completed` run folds the same old events
again), dead-letter replay (ops.replay) and the loader, against the real PostgreSQL.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from front_sync.ops import audit, replay
from front_sync.resources import COMMENTS, CONVERSATIONS, MESSAGES
from front_sync.sync.conversation_changes import ChangesResult, _flush_events
from front_sync.sync.events import ChangeSet
from front_sync.warehouse import dead_letters
from front_sync.warehouse.load import load_batch
from front_sync.warehouse.reconcile import database_clock, soft_delete_sub_resources_gone

from . import records as r
from .records import fetch

pytestmark = pytest.mark.integration  # needs the session's PostgreSQL server

T0 = Decimal("1701292700.125")  # the comment's posted_at (records.comment)
WHO = audit.RunIdentity("manual__2026-12-05", "front_sync_ops", "replay", 1)


def event(
    event_id: str, kind: str, at: Decimal, target_type: str | None = None, data=None, conversation: dict | None = None
) -> dict:
    """A Front event (core-api.json EventResponse) carrying a conversation snapshot and, maybe, a full target."""
    out = {
        "_links": {"self": f"{r.HOST}/events/{event_id}"},
        "id": event_id,
        "type": kind,
        "emitted_at": at,
        "source": {"_meta": {"type": "teammate"}, "data": r.teammate()},
        "conversation": conversation or r.conversation("cnv_1", updated_at=str(at)),
    }
    if target_type:
        out["target"] = {"_meta": {"type": target_type}, "data": data}
    return out


def apply_events(conn, events: list[dict], run_id: str) -> ChangesResult:
    """Fold a page of events and flush it as from_events does (a backfill re-apply reads them the same way)."""
    changes = ChangeSet()
    changes.add_page(events)
    result = ChangesResult()
    _flush_events(conn, changes, run_id, result, None, born_after=Decimal(0))
    return result


def comment(**changes) -> dict:
    return {**r.comment("com_1"), **changes}


def stored(conn, table: str, columns: str, row_id: str) -> tuple:
    return fetch(conn, f"SELECT {columns} FROM front.{table} WHERE id = %s", (row_id,))[0]  # noqa: S608


@pytest.mark.parametrize(
    ("field", "old", "new"),
    [
        ("is_pinned", False, True),
        ("body", "Can someone look at this?", "Edited: never mind, done"),
    ],
    ids=["pinned", "edited-body"],
)
def test_item1_a_reapplied_old_comment_event_does_not_revert_a_newer_one(migrated, field, old, new):
    apply_events(migrated, [event("evt_2", "comment", T0 + 60, "comment", comment(**{field: new}))], "hourly")
    again = apply_events(migrated, [event("evt_1", "comment", T0, "comment", comment(**{field: old}))], "backfill")
    assert stored(migrated, "comments", field, "com_1") == (new,)
    assert again.carried_loaded.counts["stale"] == 1


def test_item1_a_reapplied_old_message_event_does_not_revert_its_bounce(migrated):
    sent = r.message("msg_1", inbound=False)
    bounced = {**sent, "error_type": "message_bounce_error"}
    at = Decimal("1701292639")
    apply_events(migrated, [event("evt_2", "message_bounce_error", at + 30, "message", bounced)], "hourly")
    apply_events(migrated, [event("evt_1", "out_reply", at, "message", sent)], "backfill")
    assert stored(migrated, "messages", "error_type, view_at", "msg_1") == ("message_bounce_error", at + 30)


def test_item1_a_comment_seen_gone_is_not_undeleted_by_an_older_event_payload(migrated):
    apply_events(migrated, [event("evt_1", "comment", T0, "comment", comment())], "hourly")
    started = database_clock(migrated)
    with migrated.cursor() as cur:  # a complete fetch that began after the comment's event no longer returned it
        assert soft_delete_sub_resources_gone(cur, COMMENTS, "cnv_1", [], "children", started, view_at=T0 + 100) == 1
    migrated.commit()
    apply_events(migrated, [event("evt_1", "comment", T0, "comment", comment())], "backfill")
    deleted_at, view_at = stored(migrated, "comments", "deleted_at, view_at", "com_1")
    assert deleted_at is not None and view_at == T0 + 100


def test_item1_a_soft_delete_from_an_older_view_leaves_a_newer_row_alone(migrated):
    """A complete fetch that began before an event wrote a newer comment does not delete it (issue 19 item 5's
    race, settled by the version rule)."""
    apply_events(migrated, [event("evt_1", "comment", T0 + 50, "comment", comment())], "hourly")
    started = database_clock(migrated)  # the write-time guard alone would allow it: the view rule refuses
    with migrated.cursor() as cur:
        assert soft_delete_sub_resources_gone(cur, COMMENTS, "cnv_1", [], "children", started, view_at=T0 + 10) == 0
    migrated.commit()
    assert stored(migrated, "comments", "deleted_at", "com_1") == (None,)


def test_item1_dead_letter_replay_of_an_old_payload_is_stale(migrated):
    apply_events(migrated, [event("evt_2", "comment", T0 + 60, "comment", comment(body="Newer"))], "hourly")
    with migrated.cursor() as cur:  # an old copy that failed to load once (e.g. before a fix), view unknown
        dead_letters.write(cur, "comments", [(comment(body="Older"), "ValueError: was broken")], "old-run")
    migrated.commit()
    result = replay.replay(migrated, WHO, "comments")
    assert result.replayed["comments"] == 1
    assert stored(migrated, "comments", "body", "com_1") == ("Newer",)
    counts = fetch(migrated, "SELECT stale FROM front.sync_logs WHERE sync_type = 'replay'")
    assert counts == [(1,)]


def test_item1_a_replayed_dead_letter_is_as_old_as_the_batch_it_came_from(migrated):
    load_batch(migrated, COMMENTS, [comment(body="Fetched at 200")], "r1", view=_view(T0 + 200))
    load_batch(migrated, COMMENTS, [comment(id=None, body="bad")], "r2", view=_view(T0 + 300))  # dead-lettered
    assert fetch(migrated, "SELECT view_at FROM front.dead_letters") == [(T0 + 300,)]


def _view(at: Decimal):
    from front_sync.warehouse.prepare import View

    return View(at=at)


def task(updated_at: Decimal, **fields) -> dict:
    return {**r.conversation("cnv_1", updated_at=str(updated_at)), "type": "task", **fields}


def test_suspected_a_field_left_out_of_an_event_payload_keeps_the_stored_value(migrated):
    """Issue 19 "suspected": an event's conversation that leaves out description and due_at (and its tags) keeps
    them; a real null from Front still writes null."""
    at = Decimal("1701292639")
    full = task(at, description="Call the customer back", due_at=Decimal("1701400000"))
    apply_events(migrated, [event("evt_1", "assign", at, conversation=full)], "hourly")
    partial = {k: v for k, v in task(at + 10, subject="Renamed").items() if k not in ("description", "due_at", "tags")}
    apply_events(migrated, [event("evt_2", "assign", at + 10, conversation=partial)], "hourly")
    assert stored(migrated, "conversations", "subject, description, due_at", "cnv_1") == (
        "Renamed",
        "Call the customer back",
        Decimal("1701400000"),
    )
    assert fetch(migrated, "SELECT tag_id FROM front.conversation_tags") == [("tag_1",)]
    assert fetch(migrated, "SELECT raw->>'description' FROM front.conversations") == [("Call the customer back",)]
    nulled = task(at + 20, description=None, due_at=None, tags=[])
    apply_events(migrated, [event("evt_3", "assign", at + 20, conversation=nulled)], "hourly")
    assert stored(migrated, "conversations", "subject, description, due_at", "cnv_1") == (
        "Order #1234 has not arrived",
        None,
        None,
    )
    assert fetch(migrated, "SELECT tag_id FROM front.conversation_tags") == []


def test_a_full_record_without_a_field_front_omits_when_it_does_not_apply_writes_null(migrated):
    """Absent is not null only for partial payloads (events): a fetched record is Front's whole representation,
    in which a field left out (a draft's version once sent) means it no longer applies."""
    draft = {**r.message("msg_1", inbound=False), "version": "v-1"}
    load_batch(migrated, MESSAGES, [draft], "r1", view=_view(Decimal(100)))
    sent = {k: v for k, v in r.message("msg_1", inbound=False).items() if k != "version"}
    load_batch(migrated, MESSAGES, [sent], "r2", view=_view(Decimal(200)))
    assert stored(migrated, "messages", "version", "msg_1") == (None,)


def test_an_unchanged_record_seen_in_a_newer_view_moves_view_at_on(migrated):
    load_batch(migrated, COMMENTS, [comment()], "r1", view=_view(Decimal(100)))
    result = load_batch(migrated, COMMENTS, [comment()], "r2", view=_view(Decimal(300)))
    assert result.counts["unchanged"] == 1
    assert stored(migrated, "comments", "view_at", "com_1") == (Decimal(300),)
    assert load_batch(migrated, COMMENTS, [comment(body="x")], "r3", view=_view(Decimal(200))).counts["stale"] == 1


def test_of_two_views_with_the_same_updated_at_the_later_observation_wins(migrated):
    """Front renames a tag without moving updated_at: the listing that saw the new name wins over an older event
    snapshot with the same updated_at re-applied afterwards, whichever path writes it (issue 19, the tie)."""
    at = Decimal("1701292639")
    snapshot = {**r.conversation("cnv_1", str(at)), "tags": [{**r.tag("tag_1"), "name": "old"}]}
    apply_events(migrated, [event("evt_1", "tag", at, conversation=snapshot)], "hourly")
    listed = {**snapshot, "tags": [{**r.tag("tag_1"), "name": "renamed"}]}
    assert load_batch(migrated, CONVERSATIONS, [listed], "nightly", view=_view(at + 900)).counts["updated"] == 1
    again = apply_events(migrated, [event("evt_1", "tag", at, conversation=snapshot)], "backfill")
    assert again.loaded.counts["stale"] == 1
    assert fetch(migrated, "SELECT name FROM front.conversation_tags WHERE conversation_id = 'cnv_1'") == [("renamed",)]
    assert stored(migrated, "conversations", "view_at, observed_at", "cnv_1") == (at, at + 900)
    unchanged = load_batch(migrated, CONVERSATIONS, [listed], "nightly", view=_view(at + 1800))
    assert unchanged.counts["unchanged"] == 1
    assert stored(migrated, "conversations", "observed_at", "cnv_1") == (at + 1800,)


def test_merged_away_conversations_keep_the_merge_as_their_view(migrated):
    at = Decimal("1701292639")
    apply_events(migrated, [event("evt_1", "assign", at, conversation=r.conversation("cnv_x", str(at)))], "h1")
    merge = event(
        "evt_2",
        "conversations_merged",
        at + 50,
        "deleted_conversation_ids",
        ["cnv_x"],
        conversation=r.conversation("cnv_s", str(at + 50)),
    )
    apply_events(migrated, [merge], "h2")
    apply_events(migrated, [event("evt_1", "assign", at, conversation=r.conversation("cnv_x", str(at)))], "backfill")
    deleted_at, view_at = stored(migrated, "conversations", "deleted_at, view_at", "cnv_x")
    assert deleted_at is not None and view_at == at + 50
    assert CONVERSATIONS.version_column == "updated_at" and COMMENTS.version_column is None


def test_a_field_front_omits_when_it_no_longer_applies_is_cleared_by_an_event_payload(migrated):
    """Front leaves waiting_since out once nobody waits (test_full_flow caught a first design that kept every
    absent field): only fields events may leave out although set (description, due_at) keep their value."""
    at = Decimal("1701292639")
    apply_events(migrated, [event("evt_1", "inbound", at, conversation=task(at, description="d"))], "hourly")
    replied = {k: v for k, v in task(at + 10).items() if k not in ("waiting_since", "description")}
    apply_events(migrated, [event("evt_2", "out_reply", at + 10, conversation=replied)], "hourly")
    assert stored(migrated, "conversations", "waiting_since, description", "cnv_1") == (None, "d")
    assert fetch(migrated, "SELECT raw ? 'waiting_since', raw->>'description' FROM front.conversations") == [
        (False, "d")
    ]


def test_migration_035_backfills_the_view_time_of_rows_written_before_it(migrated):
    """Rows stored before the version rule get updated_at where the table has it, else the time they were last
    written (or seen gone): a re-applied old payload is stale against them, as it must be."""
    from front_sync.resources import CONTACTS
    from front_sync.warehouse import migrations

    load_batch(migrated, CONTACTS, [r.contact("crd_1", "1700000000")], "r1")
    load_batch(migrated, COMMENTS, [comment(), {**r.comment("com_2"), "body": "gone"}], "r1")
    started = database_clock(migrated)
    with migrated.cursor() as cur:
        soft_delete_sub_resources_gone(cur, COMMENTS, "cnv_1", ["com_1"], "r2", started)
        cur.execute("SET LOCAL front_sync.writer = 'on'")
        cur.execute("UPDATE front.contacts SET view_at = NULL")
        cur.execute("UPDATE front.comments SET view_at = NULL")
        cur.execute("DELETE FROM front.schema_migrations WHERE name = '035_view_time.sql'")
    migrated.commit()
    assert migrations.migrate(migrated) == ["035_view_time.sql"]
    assert stored(migrated, "contacts", "view_at", "crd_1") == (Decimal("1700000000"),)
    assert fetch(
        migrated,
        "SELECT id FROM front.comments WHERE view_at = round(extract(epoch FROM "
        "GREATEST(last_synced_at, deleted_at)), 3) ORDER BY id",
    ) == [("com_1",), ("com_2",)]
    old = apply_events(migrated, [event("evt_1", "comment", T0, "comment", comment(body="old"))], "backfill")
    assert old.carried_loaded.counts["stale"] == 1


def test_migration_042_backfills_the_observation_time_of_rows_written_before_it(migrated):
    """Rows stored before the tie-break get the time they were last written (or seen gone) as their observation:
    an old snapshot with the same updated_at re-applied afterwards is then stale."""
    from front_sync.warehouse import migrations

    at = Decimal("1701292639")
    apply_events(migrated, [event("evt_1", "assign", at)], "hourly")
    with migrated.cursor() as cur:
        cur.execute("SET LOCAL front_sync.writer = 'on'")
        cur.execute("UPDATE front.conversations SET observed_at = NULL")
        cur.execute("DELETE FROM front.schema_migrations WHERE name = '042_observed_at.sql'")
    migrated.commit()
    assert migrations.migrate(migrated) == ["042_observed_at.sql"]
    assert fetch(
        migrated,
        "SELECT count(*) FROM front.conversations WHERE observed_at = round(extract(epoch FROM "
        "GREATEST(last_synced_at, deleted_at)), 3)",
    ) == [(1,)]
    assert apply_events(migrated, [event("evt_1", "assign", at)], "backfill").loaded.counts["stale"] == 1
