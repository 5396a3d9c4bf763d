"""Each prepared record carries its view time and, for a partial payload, what it left out (issue 19 item 1)."""

from __future__ import annotations

from decimal import Decimal

from front_sync.resources import COMMENTS, CONVERSATIONS
from front_sync.sync.events import ChangeSet
from front_sync.warehouse.prepare import View, prepare

BASE = "https://acme.api.frontapp.com"


def comment(cid: str = "com_1", **changes) -> dict:
    return {
        "_links": {"related": {"conversation": f"{BASE}/conversations/cnv_1"}},
        "id": cid,
        "body": "hi",
        "author": {"id": "tea_1"},
        "posted_at": 1700000000,
        "attachments": [],
        "is_pinned": False,
        **changes,
    }


def test_a_record_without_updated_at_takes_its_view_time_from_the_caller():
    items, _, _ = prepare(COMMENTS, [comment("com_1"), comment("com_2")], "r", view=View(each=[Decimal(5), Decimal(7)]))
    assert {i: item.view_at for i, item in items.items()} == {"com_1": Decimal(5), "com_2": Decimal(7)}
    assert all(item.absent is None for item in items.values())  # not partial: nothing is kept as stored


def test_updated_at_is_the_view_time_where_front_has_it():
    conversation = {"id": "cnv_1", "updated_at": 1700000000.5, "subject": "s"}
    items, _, _ = prepare(CONVERSATIONS, [conversation], "r", view=View(at=Decimal(9)))
    assert items["cnv_1"].view_at == Decimal("1700000000.5")


def test_a_partial_payload_lists_what_events_may_leave_out_and_did_not_what_it_sent_as_null():
    """Only fields events may leave out although set (description, due_at) and child lists are kept when absent;
    a field Front omits when it does not apply (waiting_since, status_id) means null, as in a full record."""
    conversation = {"id": "cnv_1", "updated_at": 1, "subject": "s", "description": None, "tags": []}
    items, _, _ = prepare(CONVERSATIONS, [conversation], "r", view=View(at=Decimal(1), partial=True))
    assert set(items["cnv_1"].absent) == {"due_at", "conversation_links", "conversation_reminders"}


def test_a_repeated_id_keeps_the_newest_view_and_counts_the_older_stale():
    items, _, counts = prepare(
        COMMENTS, [comment(body="new"), comment(body="old")], "r", view=View(each=[Decimal(9), Decimal(3)])
    )
    assert items["com_1"].record["body"] == "new" and counts["stale"] == 1


def test_event_payloads_are_partial_views_as_of_their_events():
    changes = ChangeSet()
    changes.add_page(
        [
            {
                "id": "evt_1",
                "type": "comment",
                "emitted_at": 1700000005,
                "conversation": {"id": "cnv_1", "updated_at": 1700000005},
                "target": {"_meta": {"type": "comment"}, "data": comment()},
            }
        ]
    )
    view = changes.carried_view("comments")
    assert view.partial and list(view.each) == [Decimal(1700000005)]
    snapshots, snapshot_view = changes.snapshots()
    assert [s["id"] for s in snapshots] == ["cnv_1"] and snapshot_view.partial


def test_equal_updated_at_is_ranked_by_when_the_view_was_observed():
    """Front renames a tag without moving the conversation's updated_at: of two copies with the same updated_at,
    the later observation is the newer view (issue 19, the version rule's tie)."""
    old = {"id": "cnv_1", "updated_at": 1700000000, "subject": "s", "tags": [{"id": "tag_1", "name": "old"}]}
    new = {**old, "tags": [{"id": "tag_1", "name": "renamed"}]}
    seen = View(each=[Decimal(1700000900), Decimal(1700000001)])
    items, _, counts = prepare(CONVERSATIONS, [new, old], "r", view=seen)
    assert items["cnv_1"].record is new and counts["stale"] == 1
    assert items["cnv_1"].version == (Decimal(1700000000), Decimal(1700000900))
