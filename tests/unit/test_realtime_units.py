"""Issue 21, the pure parts of the real-time path: when the webhook watcher fires, how claimed previews fold into
a change set (fetch a named record once, by id; carry full records; fall back to the hourly fetch), the trigger's
serialisation and each tenant's Asset."""

from __future__ import annotations

from decimal import Decimal

from front_sync.config import Tenant
from front_sync.realtime.trigger import Signals, WebhookTrigger, webhook_asset
from front_sync.sync.realtime_apply import WebhookChanges
from front_sync.warehouse.webhook_claims import WebhookClaim

from .test_event_changes import BASE, event, message


def claim(payload, row_id=1):
    return WebhookClaim(row_id, payload.get("id", "?") if isinstance(payload, dict) else "?", payload, 1)


def preview(record_id="msg_1"):
    return {"_links": {"self": f"{BASE}/messages/{record_id}"}, "id": record_id}


def test_the_watcher_fires_for_new_pending_webhooks_once_and_again_only_after_resignal_seconds():
    signals = Signals(resignal_seconds=60)
    assert not signals.should_fire(None, now=0)  # nothing pending
    assert signals.should_fire(5, now=0)
    signals.fired(5, now=0)
    assert not signals.should_fire(5, now=10)  # a burst already signalled: coalesced
    assert signals.should_fire(6, now=10)  # a newer one
    signals.fired(6, now=10)
    assert not signals.should_fire(6, now=69)
    assert signals.should_fire(6, now=70)  # still pending a minute later: a failed run, wake again
    signals.fired(4, now=70)
    assert signals.signalled == 6  # never goes back


def test_a_preview_names_a_record_to_fetch_once_for_its_newest_event_and_a_full_record_is_carried():
    changes = WebhookChanges()
    assert changes.add_claim(claim(event("inbound", "message", preview(), event_id="evt_1", at=10), 1)) == "ok"
    assert (
        changes.add_claim(claim(event("message_bounce_error", "message", preview(), event_id="evt_2", at=12), 2))
        == "ok"
    )
    assert changes.add_claim(claim(event("comment", "comment", {"id": "com_1"}, event_id="evt_3", at=11), 3)) == "ok"
    full = message(
        id="msg_2",
        _links={"self": f"{BASE}/messages/msg_2", **{"related": {"conversation": f"{BASE}/conversations/cnv_1"}}},
    )
    assert changes.add_claim(claim(event("outbound", "message", full, event_id="evt_4", at=13), 4)) == "ok"
    assert changes.named["messages"] == {"msg_1": (Decimal(12), "cnv_1")}
    assert changes.named["comments"] == {"com_1": (Decimal(11), "cnv_1")}
    assert changes.origin[("messages", "msg_1")] == {1, 2}
    assert [r["id"] for r in changes.carried_records("messages")] == ["msg_2"]
    assert changes.need == {"messages": set(), "comments": set()}  # nothing left for the hourly fetch
    snapshots, view = changes.snapshots()
    assert [s["id"] for s in snapshots] == ["cnv_1"] and view.partial and list(view.each) == [Decimal(13)]


def test_merges_unknown_types_and_bad_payloads_fall_back_to_the_conversations_fetch():
    changes = WebhookChanges()
    assert changes.add_claim(claim(event("conversations_merged", "deleted_conversation_ids", ["cnv_9"]), 1)) == "ok"
    assert changes.add_claim(claim(event("call_logged", event_id="evt_2", conversation="cnv_2"), 2)) == "ok"
    assert changes.add_claim(claim({"id": "evt_3", "type": "inbound", "conversation": {"id": "cnv_3"}}, 3)) == "bad"
    assert changes.add_claim(claim({"id": "evt_4", "type": "sync", "emitted_at": 5}, 4)) == "ignored"
    envelope = {
        "type": "inbound_received",
        "authorization": {"id": "cmp_1"},
        "payload": event("inbound", "message", preview("msg_5"), event_id="evt_5", conversation="cnv_5"),
    }
    assert changes.add_claim(claim(envelope, 5)) == "ok"  # a whole envelope stored: its payload is the event
    assert changes.named["messages"] == {"msg_5": (Decimal(1700000001), "cnv_5")}
    assert changes.need == {"messages": {"cnv_1", "cnv_2", "cnv_3"}, "comments": {"cnv_1", "cnv_2", "cnv_3"}}
    assert changes.named["comments"] == {}


def test_the_trigger_serialises_to_plain_kwargs_and_each_tenant_has_its_own_asset():
    trigger = WebhookTrigger("warehouse_acme", poll_seconds=10)
    path, kwargs = trigger.serialize()
    assert path == "front_sync.realtime.trigger.WebhookTrigger"
    assert WebhookTrigger(**kwargs).serialize() == (path, kwargs)
    assert kwargs == {
        "warehouse_conn_id": "warehouse_acme",
        "poll_seconds": 10.0,
        "settle_seconds": 0.5,
        "resignal_seconds": 300.0,
    }
    acme = webhook_asset(Tenant("acme", "front_acme", "warehouse_acme"))
    assert acme.name == "front_sync_webhooks__acme"
    assert acme.watchers[0].trigger.warehouse_conn_id == "warehouse_acme"
    assert webhook_asset(Tenant()).name == "front_sync_webhooks"
