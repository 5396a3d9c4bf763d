"""/events: limits, order, filters, and the events each mutation emits (none for contacts and tags)."""

from __future__ import annotations

import pytest


def ids(records):
    return [r["id"] for r in records]


def truth(control, resource):
    return control.truth(resource)["_results"]


def newest(api):
    return api.get_json("/events", params={"limit": 1})["_results"][0]


def test_events_exactly_once_ascending_with_limit_capped_at_15(api, control):
    events = truth(control, "events")
    pages = api.pages("/events", params={"limit": 100, "sort_by": "created_at", "sort_order": "asc"})
    assert all(len(page["_results"]) <= 15 for page in pages) and len(pages[0]["_results"]) == 15
    records = [e for page in pages for e in page["_results"]]
    assert ids(records) == ids(events)
    stamps = [e["emitted_at"] for e in records]
    assert stamps == sorted(stamps)


def test_default_order_is_newest_first(api, control):
    newest = sorted(truth(control, "events"), key=lambda e: e["emitted_at"])[-15:]
    page = api.get_json("/events")["_results"]
    assert ids(page) == list(reversed(ids(newest)))


def test_after_and_before_are_exclusive(api, control):
    events = truth(control, "events")
    low, high = events[40]["emitted_at"], events[120]["emitted_at"]
    records = api.all_results(
        "/events", params={"q[after]": low, "q[before]": high, "sort_by": "created_at", "sort_order": "asc"}
    )
    assert ids(records) == [e["id"] for e in events if low < e["emitted_at"] < high]


def test_types_and_inboxes_filters(api, control):
    events = truth(control, "events")
    records = api.all_results("/events", params={"q[types]": ["archive", "trash"], "limit": 15})
    assert ids(records) == [e["id"] for e in reversed(events) if e["type"] in ("archive", "trash")]
    inbox = truth(control, "inboxes")[1]["id"]
    in_inbox = api.all_results("/events", params={"q[inboxes]": inbox, "q[types]": "inbound"})
    assert in_inbox
    for event in in_inbox[:10]:
        conv_inboxes = api.get_json(f"/conversations/{event['conversation']['id']}/inboxes")["_results"]
        assert ids(conv_inboxes) == [inbox] and event["type"] == "inbound"


EXPECTED_EVENTS = [
    ("new_conversations", "inbound", "message"),
    ("new_inbound", "inbound", "message"),
    ("new_outbound", "outbound", "message"),
    ("new_out_reply", "out_reply", "message"),
    ("add_comments", "comment", "comment"),
    ("tag", "tag", "tag"),
    ("untag", "untag", "tag"),
    ("assign", "assign", "teammate"),
    ("unassign", "unassign", "teammate"),
    ("archive", "archive", None),
    ("reopen", "reopen", None),
    ("trash", "trash", None),
    ("restore", "restore", None),
    ("merge_conversations", "conversations_merged", "deleted_conversation_ids"),
    ("update_conversation_custom_fields", "custom_field_updated", "custom_field"),
    ("move", "move", "inboxes"),
]


@pytest.mark.parametrize(("action", "event_type", "target"), EXPECTED_EVENTS, ids=[a for a, _, _ in EXPECTED_EVENTS])
def test_mutation_emits_front_event(api, control, action, event_type, target):
    before = newest(api)["emitted_at"]
    result = control.mutate(action, count=2)
    assert result["ids"] and len(result["events"]) >= len(result["ids"])
    new = api.all_results("/events", params={"q[after]": before, "sort_by": "created_at", "sort_order": "asc"})
    kinds = {e["type"] for e in new}
    assert event_type in kinds and kinds <= {event_type, "mention"}
    for event in new:
        if event["type"] != event_type:
            continue
        assert event["emitted_at"] > before and event["id"] in result["events"]
        assert (event.get("target") or {}).get("_meta", {}).get("type") == target
        assert event["conversation"]["id"] in result["ids"]


@pytest.mark.parametrize(
    "action",
    ["update_contacts", "create_contacts", "delete_contacts", "merge_contacts", "rename_tags", "delete_tags"],
)
def test_contact_and_tag_changes_emit_no_event(api, control, action):
    before = newest(api)
    assert control.mutate(action, count=2)["ids"]
    assert newest(api)["id"] == before["id"]


def test_event_carries_the_conversation_as_it_was(api, control):
    conv = next(c for c in truth(control, "conversations") if c["status"] == "unassigned")
    assign = control.mutate("assign", ids=[conv["id"]])["events"][0]
    control.mutate("unassign", ids=[conv["id"]])
    assert api.get_json(f"/events/{assign}")["conversation"]["status"] == "assigned"
    assert api.get_json(f"/conversations/{conv['id']}")["status"] == "unassigned"


def test_inbound_event_source_is_inboxes_and_target_the_message(api, control):
    result = control.mutate("new_inbound", count=1)
    event = api.get_json(f"/events/{result['events'][0]}")
    assert event["source"]["_meta"]["type"] == "inboxes"
    message = event["target"]["data"]
    assert message["id"] == result["messages"][0] and message["is_inbound"] and message["author"] is None
    listed = api.get_json(f"/conversations/{result['ids'][0]}/messages", params={"limit": 1})["_results"]
    assert listed[0]["id"] == message["id"] or listed[0]["is_draft"]
