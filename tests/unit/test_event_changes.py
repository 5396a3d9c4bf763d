"""Events into a change set: children carried in full are loaded from the event, anything else is fetched."""

from __future__ import annotations

from decimal import Decimal

from front_sync.sync.events import ChangeSet

BASE = "https://acme.api.frontapp.com"


def message(conversation="cnv_1", **changes):
    record = {
        "_links": {
            "self": f"{BASE}/messages/msg_1",
            "related": {"conversation": f"{BASE}/conversations/{conversation}"},
        },
        "id": "msg_1",
        "type": "email",
        "is_inbound": True,
        "created_at": 1700000000.5,
        "body": "<p>hi</p>",
        "author": None,
        "recipients": [],
        "attachments": [],
        "draft_mode": None,
    }
    record.update(changes)
    return record


def event(kind, target_type=None, data=None, *, event_id="evt_1", at=1700000001, conversation="cnv_1"):
    out = {
        "id": event_id,
        "type": kind,
        "emitted_at": at,
        "conversation": {"id": conversation, "updated_at": at, "created_at": 1600000000},
    }
    if target_type:
        out["target"] = {"_meta": {"type": target_type}, "data": data}
    return out


def test_a_message_carried_in_full_is_loaded_from_the_event_and_not_fetched():
    changes = ChangeSet()
    changes.add_page([event("inbound", "message", message())])
    assert [r["id"] for r in changes.carried_records("messages")] == ["msg_1"]
    assert changes.need["messages"] == set()


def test_a_preview_target_a_draft_or_another_conversations_message_is_fetched_instead():
    preview = {"_links": message()["_links"], "id": "msg_1"}
    for data in (
        preview,
        message(is_draft=True, draft_mode="shared"),
        message(conversation="cnv_2"),
        message(_links={"related": {"conversation": f"{BASE}/"}}),
    ):  # a link without an id: no dead letter
        changes = ChangeSet()
        changes.add_page([event("out_reply", "message", data)])
        assert changes.carried_records("messages") == [] and changes.need["messages"] == {"cnv_1"}
        assert not changes.bad_events


def test_a_merge_is_always_fetched_and_an_unrelated_event_touches_no_children():
    changes = ChangeSet()
    changes.add_page(
        [
            event("conversations_merged", "deleted_conversation_ids", ["cnv_9"]),
            event("tag", "tag", {"id": "tag_1"}, event_id="evt_2"),
        ]
    )
    assert changes.need == {"messages": {"cnv_1"}, "comments": {"cnv_1"}}
    assert changes.merged_into == {"cnv_9": "cnv_1"}


def test_the_newest_event_wins_and_events_applied_before_are_skipped_but_move_the_cursor():
    changes = ChangeSet()
    changes.add_page(
        [
            event("outbound", "message", message(error_type=None), event_id="evt_1", at=10),
            event("sending_error", "message", message(error_type="bounced"), event_id="evt_2", at=11),
            event("comment", "comment", {}, event_id="evt_3", at=12),
        ],
        already_applied={"evt_3"},
    )
    assert changes.carried_records("messages")[0]["error_type"] == "bounced"
    assert changes.need["comments"] == set() and changes.duplicates == 1
    assert [e for e, _ in changes.applied] == ["evt_1", "evt_2"]
    assert changes.max_emitted_at == Decimal(12)


def test_item_3_unknown_event_types_and_events_that_cannot_be_applied_fetch_every_child():
    """Issue 19 item 3: skips fail closed. A type Front added (call_*, ticket_status_update) or a dead-lettered
    event with a readable conversation asks for that conversation's messages and comments; known
    conversation-only types ask for nothing."""
    changes = ChangeSet()
    changes.add_page(
        [
            event("call_transcript_added", "call", {"id": "cal_1"}),
            event("ticket_status_update", event_id="evt_2", conversation="cnv_2"),
            {
                **event("inbound", "message", message(conversation="cnv_3"), event_id="evt_3", conversation="cnv_3"),
                "emitted_at": "soon",
            },  # dead-lettered: no usable time
            event("assign", "teammate", {"id": "tea_1"}, event_id="evt_4", conversation="cnv_4"),
        ]
    )
    assert len(changes.bad_events) == 1
    assert changes.need == {"messages": {"cnv_1", "cnv_2", "cnv_3"}, "comments": {"cnv_1", "cnv_2", "cnv_3"}}
