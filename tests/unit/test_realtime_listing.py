"""A real-time round reads the records its webhooks name from /events pages when it can (sync/realtime_apply.py):
only a record carried in full, from an event at least as new as the webhook naming it, in the same conversation;
and never more than one page beyond what it finds, so the round costs at most one call more than fetching by id."""

from __future__ import annotations

from decimal import Decimal

from front_sync.hooks.errors import FrontBadRequestError
from front_sync.sync.realtime_apply import WebhookChanges, _listed

BASE = "https://api.example/"


def message(record_id: str, conversation_id: str) -> dict:
    return {
        "id": record_id,
        "type": "email",
        "created_at": 100,
        "body": "<p>hi</p>",
        "recipients": [],
        "attachments": [],
        "author": None,
        "is_draft": False,
        "_links": {"related": {"conversation": f"{BASE}conversations/{conversation_id}"}},
    }


def event(number: int, at: float, record_id: str, conversation_id: str, in_conversation: str | None = None) -> dict:
    return {
        "id": f"evt_{number}",
        "type": "inbound",
        "emitted_at": at,
        "conversation": {"id": in_conversation or conversation_id},
        "target": {"_meta": {"type": "message"}, "data": message(record_id, conversation_id)},
    }


class Pages:
    """A FrontHook stand-in serving fixed /events pages and counting the ones read."""

    def __init__(self, *pages: list[dict] | Exception) -> None:
        self.pages, self.read, self.params = pages, 0, None

    def iter_pages(self, path: str, params: dict):
        assert path == "/events"
        self.params = params
        for page in self.pages:
            if isinstance(page, Exception):
                raise page
            self.read += 1
            yield page


def wanting(*named: tuple[str, float, str]) -> tuple[WebhookChanges, list[tuple[str, str, str]]]:
    changes = WebhookChanges()
    for record_id, at, conversation_id in named:
        changes.named["messages"][record_id] = (Decimal(str(at)), conversation_id)
    return changes, [("messages", record_id, conversation_id) for record_id, _, conversation_id in named]


def test_records_carried_in_full_are_read_with_their_events_time_as_their_view():
    changes, wanted = wanting(("msg_a", 100.5, "cnv_1"), ("msg_b", 101.0, "cnv_2"))
    front = Pages([event(1, 100.5, "msg_a", "cnv_1"), event(2, 101.0, "msg_b", "cnv_2")])
    found, pages, _ = _listed(front, changes, wanted, None)
    assert pages == 1 and {(f.record_id, f.view_at, f.carried) for f in found} == {
        ("msg_a", Decimal("100.5"), True),
        ("msg_b", Decimal("101.0"), True),
    }
    assert front.params["q[after]"] == "100.499" and front.params["q[before]"] == "101.001"
    assert front.params["sort_order"] == "asc" and "inbound" in front.params["q[types]"]
    assert "merge" not in front.params["q[types]"]


def test_an_event_older_than_the_webhook_naming_the_record_is_not_its_view():
    changes, wanted = wanting(("msg_a", 200.0, "cnv_1"))
    found, _, _ = _listed(Pages([event(1, 199.999, "msg_a", "cnv_1")]), changes, wanted, None)
    assert found == []


def test_a_record_whose_event_names_another_conversation_is_left_to_its_fetch():
    changes, wanted = wanting(("msg_a", 100.0, "cnv_1"))
    found, _, _ = _listed(Pages([event(1, 100.0, "msg_a", "cnv_1", in_conversation="cnv_9")]), changes, wanted, None)
    assert found == []


def test_previews_only_cost_one_page_find_nothing_and_say_so():
    changes, wanted = wanting(*[(f"msg_{i}", 100.0 + i, "cnv_1") for i in range(5)])
    preview = {"id": "evt_p", "type": "inbound", "emitted_at": 101.0, "conversation": {"id": "cnv_1"}}
    preview["target"] = {"_meta": {"type": "message"}, "data": {"id": "msg_1", "_links": {}}}
    front = Pages([preview], [event(2, 102.0, "msg_2", "cnv_1")])
    assert _listed(front, changes, wanted, None) == ([], 1, True)
    assert front.read == 1


def test_a_record_moved_since_is_no_sign_of_previews():
    changes, wanted = wanting(("msg_a", 100.0, "cnv_1"))
    moved = event(1, 100.0, "msg_a", "cnv_1", in_conversation="cnv_9")
    assert _listed(Pages([moved]), changes, wanted, None) == ([], 1, False)


def test_each_page_after_the_first_is_paid_for_by_a_record_found():
    changes, wanted = wanting(*[(f"msg_{i}", 100.0 + i, "cnv_1") for i in range(6)])
    noise = [{"id": "evt_x", "type": "inbound", "emitted_at": 100.0, "conversation": {"id": "cnv_1"}}]
    front = Pages([event(1, 100.0, "msg_0", "cnv_1")], noise, noise, [event(2, 105.0, "msg_5", "cnv_1")])
    found, pages, _ = _listed(front, changes, wanted, None)
    assert [f.record_id for f in found] == ["msg_0"] and pages == 2  # 1 found pays for the second page only


def test_paging_stops_at_the_rounds_budget_and_when_everything_is_found():
    changes, wanted = wanting(*[(f"msg_{i}", 100.0 + i, "cnv_1") for i in range(4)])
    pages = [[event(i, 100.0 + i, f"msg_{i}", "cnv_1")] for i in range(4)]
    assert _listed(Pages(*pages), changes, wanted, 2)[1:] == (2, False)
    front = Pages(*pages, [event(9, 110.0, "msg_9", "cnv_1")])
    found, read, _ = _listed(front, changes, wanted, None)
    assert len(found) == 4 and read == 4 and front.read == 4  # the fifth page is never requested


def test_a_listing_front_refuses_is_one_call_and_leaves_the_records_to_their_fetches(caplog):
    """Front answering 400 to the filter (say a type it does not know) must not stall real time: what was found
    stays, the rest is fetched by id, the refused page counts as a call."""
    changes, wanted = wanting(*[(f"msg_{i}", 100.0 + i, "cnv_1") for i in range(3)])
    front = Pages([event(0, 100.0, "msg_0", "cnv_1")], FrontBadRequestError("400 unknown types"))
    found, pages, _ = _listed(front, changes, wanted, None)
    assert [f.record_id for f in found] == ["msg_0"] and pages == 2
    assert "reading /events failed (FrontBadRequestError)" in caplog.text
