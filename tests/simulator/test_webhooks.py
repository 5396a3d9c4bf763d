"""Issue 21 "Simulator": application webhooks as Front sends them, checked by an independent receiver.

The receiver (tests/simulator/receiver.py) verifies signatures with the documented algorithm. Covered: the
company id, the signed challenge handshake (and a wrong echo refused), one signed preview POST per event with the
/events id, retries x3 on 500 / timeout / a receiver that is down, the delivery log, mutations that never wait on
the network, and each fault: drop, duplicate, reorder, delay, forge, replay, pause.
"""

from __future__ import annotations

import time
from collections import Counter

import pytest

from front_simulator.control import SimulatorControlError
from front_simulator.server import SimulatorServer

from .receiver import Receiver, expected_signature
from .support import SIZES, TOKEN

FAST_RETRIES = [0.05, 0.05, 0.05]


@pytest.fixture
def receiver():
    server = Receiver().start()
    yield server
    server.stop()


@pytest.fixture
def hooks(api, control):
    """Fresh data, fast retries, no webhook faults; every registration removed afterwards."""
    control.set_webhook_settings(timeout_seconds=5, retry_delays=FAST_RETRIES)
    yield control
    control.clear_webhook_faults()
    for hook in control.webhooks():
        control.delete_webhook(hook["id"])
    control.set_webhook_settings(timeout_seconds=5, retry_delays=[1.0, 2.0, 4.0], conversation_keys=None)


def register(control, receiver):
    return control.register_webhook(receiver.url, receiver.secret)


def mutate_events(control, count=6, action="random_activity"):
    events = []
    while len(events) < count:  # random_activity sometimes picks contact changes (no events)
        events += control.mutate(action, count=count - len(events))["events"]
    return events


def test_company_id_in_config_matches_me_and_is_settable(api, control):
    company = control.config()["company_id"]
    assert company.startswith("cmp_") and company == api.get_json("/me")["id"]
    with SimulatorServer(seed=3, sizes={**SIZES, "contacts": 5}, token=TOKEN, company_id="cmp_fixed1") as other:
        response = api.get(f"{other.base_url}/me")
        assert response.json()["id"] == "cmp_fixed1" == other.state.company_id


def test_handshake_is_signed_and_the_echo_registers(hooks, receiver):
    hook = register(hooks, receiver)
    handshake = receiver.seen[0]
    assert handshake.signed and handshake.headers["x-front-challenge"]
    assert handshake.json == {"type": "sync", "authorization": {"id": hooks.config()["company_id"]}}
    assert handshake.headers["content-type"] == "application/json"
    listed = hooks.webhooks()
    assert [h["id"] for h in listed] == [hook["id"]] and listed[0]["url"] == receiver.url
    assert "secret" not in listed[0]
    assert hooks.webhook_deliveries(kind="handshake")[0]["status"] == 200


@pytest.mark.parametrize("form", ["plain", "form"])
def test_plain_text_echo_is_accepted(hooks, receiver, form):
    receiver.challenge = lambda c: ("text/plain", (c if form == "plain" else f"challenge={c}").encode())
    assert register(hooks, receiver)["url"] == receiver.url


@pytest.mark.parametrize("echo", ["wrong", "empty", "unsigned-secret"])
def test_registration_fails_clearly_when_the_echo_is_wrong(hooks, receiver, echo):
    if echo == "wrong":
        receiver.challenge = lambda c: ("application/json", b'{"challenge": "nope"}')
    elif echo == "empty":
        receiver.challenge = lambda c: ("text/plain", b"")
    secret = "another-secret" if echo == "unsigned-secret" else receiver.secret  # receiver answers 401
    with pytest.raises(SimulatorControlError, match="challenge"):
        hooks.register_webhook(receiver.url, secret)
    assert hooks.webhooks() == []


def test_registration_to_nothing_listening_fails(hooks, receiver):
    receiver.stop()
    with pytest.raises(SimulatorControlError, match="could not reach"):
        register(hooks, receiver)


def test_one_signed_preview_per_event_with_the_events_id(hooks, receiver, api):
    register(hooks, receiver)
    company = hooks.config()["company_id"]
    events = mutate_events(hooks, 8) + hooks.mutate("new_inbound")["events"] + hooks.mutate("add_comments")["events"]
    seen = receiver.wait_for(lambda got: len(got) >= len(events))
    hooks.wait_webhooks_idle()
    assert sorted(s.event_id for s in receiver.events()) == sorted(events)  # exactly one each
    for request in seen:
        assert request.signed and request.headers["content-type"] == "application/json"
        assert abs(int(request.headers["x-front-request-timestamp"]) / 1000 - request.received_at) < 5
        envelope = request.json
        assert envelope["authorization"] == {"id": company}
        event = api.get_json(f"/events/{envelope['payload']['id']}")
        assert envelope["type"] == event["type"] == envelope["payload"]["type"]
        assert envelope["payload"]["emitted_at"] == event["emitted_at"]
        assert envelope["payload"]["conversation"] == event["conversation"]
        target = envelope["payload"].get("target")
        if target and target["_meta"]["type"] in ("message", "comment"):
            assert set(target["data"]) <= {"_links", "id", "type", "created_at"}
            assert target["data"]["id"] == event["target"]["data"]["id"]
            assert "body" in event["target"]["data"]  # /events has the body, the preview has not
        else:
            assert envelope["payload"].get("target") == event.get("target")


def test_conversation_keys_make_the_embedded_conversation_partial(hooks, receiver, api):
    register(hooks, receiver)
    hooks.set_webhook_settings(conversation_keys=["status", "updated_at"])
    [event] = hooks.mutate("archive")["events"]
    [request] = receiver.wait_for(lambda got: len(got) == 1)
    full = api.get_json(f"/events/{event}")["conversation"]
    assert request.json["payload"]["conversation"] == {k: full[k] for k in ("_links", "id", "status", "updated_at")}
    assert request.json["payload"]["conversation"]["status"] == "archived"


def test_saving_a_url_again_rotates_its_secret(hooks, receiver):
    hook = register(hooks, receiver)
    receiver.secret = "rotated-secret"
    again = hooks.register_webhook(receiver.url, "rotated-secret")
    assert again["id"] == hook["id"] and len(hooks.webhooks()) == 1
    hooks.mutate("archive")
    [request] = receiver.wait_for(lambda got: len(got) == 1)
    assert request.signed  # signed with the new secret only


def test_delivery_log_has_what_a_benchmark_needs(hooks, receiver):
    hook = register(hooks, receiver)
    events = mutate_events(hooks, 3)
    hooks.wait_webhooks_idle()
    log = [d for d in hooks.webhook_deliveries() if d["kind"] == "event"]
    assert sorted(d["event_id"] for d in log) == sorted(events)
    by_id = {s.event_id: s for s in receiver.events()}
    for entry in log:
        assert entry["webhook_id"] == hook["id"] and entry["url"] == receiver.url
        assert entry["status"] == 200 and entry["outcome"] == "delivered" and entry["attempt"] == 1
        assert entry["latency_ms"] >= 0
        assert str(entry["sent_at"]) == by_id[entry["event_id"]].headers["x-front-request-timestamp"]
    last = max(d["seq"] for d in hooks.webhook_deliveries())
    hooks.mutate("archive")
    hooks.wait_webhooks_idle()
    assert [d["seq"] > last for d in hooks.webhook_deliveries(after=last)] == [True]


def test_mutations_never_wait_on_the_network(hooks, receiver):
    register(hooks, receiver)
    receiver.delay = 1.5
    started = time.monotonic()
    events = hooks.mutate("archive", count=4)["events"]
    assert time.monotonic() - started < 1.2  # not even one answer awaited
    receiver.wait_for(lambda got: len(got) >= len(events))


def test_every_registration_gets_each_event_and_deleted_ones_none(hooks, receiver):
    second = Receiver(secret="second-secret").start()
    try:
        register(hooks, receiver)
        other = hooks.register_webhook(second.url, second.secret)
        first_events = hooks.mutate("tag", count=2)["events"]
        second.wait_for(lambda got: len(got) == 2)
        hooks.delete_webhook(other["id"])
        hooks.mutate("untag", count=1)
        hooks.wait_webhooks_idle()
        assert all(s.signed for s in second.events()) and len(second.events()) == 2
        assert len(receiver.events()) == 3 and receiver.events()[0].event_id in first_events
        with pytest.raises(SimulatorControlError, match="404"):
            hooks.delete_webhook(other["id"])
    finally:
        second.stop()


def test_a_deleted_webhook_gets_no_queued_requests_nor_retries(hooks, receiver):
    hook = register(hooks, receiver)
    receiver.answer = lambda n, seen: 500
    hooks.set_webhook_settings(retry_delays=[0.3, 0.3, 0.3])
    hooks.mutate("archive")
    receiver.wait_for(lambda got: len(got) == 1)
    hooks.set_webhook_faults(paused=True)
    hooks.mutate("archive", count=2)
    hooks.delete_webhook(hook["id"])
    hooks.set_webhook_faults(paused=False)
    assert hooks.wait_webhooks_idle()["queued"] == 0
    assert len(receiver.events()) == 1


def test_retries_three_times_on_500_then_succeeds_or_gives_up(hooks, receiver):
    register(hooks, receiver)
    receiver.answer = lambda n, seen: 500 if n < 3 else 200  # fails thrice: the last retry succeeds
    [first] = hooks.mutate("archive")["events"]
    receiver.wait_for(lambda got: len(got) == 4)
    receiver.answer = lambda n, seen: 503
    [second] = hooks.mutate("archive")["events"]
    receiver.wait_for(lambda got: len(got) == 8)
    hooks.wait_webhooks_idle()
    log = hooks.webhook_deliveries(kind="event")
    assert [(d["attempt"], d["outcome"]) for d in log if d["event_id"] == first] == [
        (1, "retry"),
        (2, "retry"),
        (3, "retry"),
        (4, "delivered"),
    ]
    assert [(d["attempt"], d["status"], d["outcome"]) for d in log if d["event_id"] == second] == [
        (1, 503, "retry"),
        (2, 503, "retry"),
        (3, 503, "retry"),
        (4, 503, "gave_up"),
    ]
    stamps = [s.headers["x-front-request-timestamp"] for s in receiver.events()[4:]]
    assert all(s.signed for s in receiver.events()) and stamps == sorted(stamps)  # each attempt signed anew


def test_a_slow_answer_times_out_and_is_retried(hooks, receiver):
    hooks.set_webhook_settings(timeout_seconds=0.3, retry_delays=[0.05])
    register(hooks, receiver)
    receiver.delay = 0.6
    [event] = hooks.mutate("reopen")["events"]
    receiver.wait_for(lambda got: len(got) == 2)
    receiver.delay = 0.0
    hooks.wait_webhooks_idle()
    assert [(d["error"], d["outcome"]) for d in hooks.webhook_deliveries(event_id=event)] == [
        ("timeout", "retry"),
        ("timeout", "gave_up"),
    ]


def test_receiver_down_retries_then_gives_up_logged(hooks, receiver):
    register(hooks, receiver)
    receiver.stop()
    [event] = hooks.mutate("archive")["events"]
    hooks.wait_webhooks_idle()
    log = hooks.webhook_deliveries(event_id=event)
    assert [(d["attempt"], d["status"], d["error"]) for d in log] == [(n, None, "connection") for n in (1, 2, 3, 4)]
    assert log[-1]["outcome"] == "gave_up"


def test_drop_sends_nothing_for_the_dropped_and_is_seeded(hooks, receiver):
    register(hooks, receiver)
    hooks.set_webhook_faults(drop=0.5)
    events = hooks.mutate("archive", count=20)["events"]
    hooks.wait_webhooks_idle()
    dropped = {d["event_id"] for d in hooks.webhook_deliveries() if d["outcome"] == "dropped"}
    assert 0 < len(dropped) < 20
    assert {s.event_id for s in receiver.events()} == set(events) - dropped
    hooks.reset(seed=7, sizes=SIZES)  # same seed, same mutations, same faults: the same events are dropped
    hooks.set_webhook_faults(drop=0.5)
    again = hooks.mutate("archive", count=20)["events"]
    hooks.wait_webhooks_idle()
    assert again == events
    assert {d["event_id"] for d in hooks.webhook_deliveries() if d["outcome"] == "dropped"} == dropped


def test_duplicates_send_the_same_event_twice(hooks, receiver):
    register(hooks, receiver)
    hooks.set_webhook_faults(duplicate=1.0)
    events = hooks.mutate("assign", count=3)["events"]
    receiver.wait_for(lambda got: len(got) == 6)
    hooks.wait_webhooks_idle()
    assert Counter(s.event_id for s in receiver.events()) == {e: 2 for e in events}
    assert all(s.signed for s in receiver.events())
    assert Counter(d["kind"] for d in hooks.webhook_deliveries() if d["kind"] != "handshake") == {
        "event": 3,
        "duplicate": 3,
    }


def test_reorder_shuffles_within_a_window(hooks, receiver):
    register(hooks, receiver)
    hooks.set_webhook_faults(reorder={"window": 10, "max_hold_seconds": 5})
    events = hooks.mutate("archive", count=10)["events"]
    hooks.wait_webhooks_idle()
    got = [s.event_id for s in sorted(receiver.events(), key=lambda s: s.headers["x-front-request-timestamp"])]
    assert sorted(got) == sorted(events) and got != events


def test_reorder_releases_a_partial_window_after_max_hold(hooks, receiver):
    register(hooks, receiver)
    hooks.set_webhook_faults(reorder={"window": 50, "max_hold_seconds": 0.3})
    started = time.time()
    events = hooks.mutate("archive", count=3)["events"]
    assert hooks.webhook_status()["held"] == 3
    seen = receiver.wait_for(lambda got: len(got) == 3)
    assert sorted(s.event_id for s in seen) == sorted(events)
    assert all(s.received_at - started >= 0.3 for s in seen)


def test_delay_holds_each_first_attempt(hooks, receiver):
    register(hooks, receiver)
    hooks.set_webhook_faults(delay={"low": 0.4, "high": 0.6})
    started = time.time()
    hooks.mutate("archive", count=2)
    seen = receiver.wait_for(lambda got: len(got) == 2)
    assert all(s.received_at - started >= 0.4 for s in seen)


@pytest.mark.parametrize("mode", ["wrong_secret", "tampered", "unsigned"])
def test_forged_copies_fail_verification_and_are_not_retried(hooks, receiver, mode):
    register(hooks, receiver)
    hooks.set_webhook_faults(forge={"probability": 1.0, "mode": mode})
    events = hooks.mutate("archive", count=2)["events"]
    receiver.wait_for(lambda got: len(got) == 4)
    hooks.wait_webhooks_idle()
    forged = [s for s in receiver.events() if not s.signed]
    assert len(forged) == 2 and all(s.status == 401 for s in forged)
    assert not {s.event_id for s in forged} & set(events)  # forged ids name no real event
    assert ("x-front-signature" in forged[0].headers) == (mode != "unsigned")
    log = [d for d in hooks.webhook_deliveries() if d["kind"] == "forged"]
    assert sorted(d["event_id"] for d in log) == sorted(s.event_id for s in forged)
    assert {(d["status"], d["outcome"], d["forge_mode"]) for d in log} == {(401, "refused", mode)}


def test_replay_resends_an_earlier_request_verbatim_or_backdated(hooks, receiver):
    register(hooks, receiver)
    hooks.mutate("archive")
    original = receiver.wait_for(lambda got: len(got) == 1)[0]
    hooks.wait_webhooks_idle()  # the request is replayable once its answer is in
    replayed = hooks.replay_webhooks(count=1)
    backdated = hooks.replay_webhooks(count=1, backdate_seconds=600)
    replays = receiver.wait_for(lambda got: len(got) == 3)[1:]  # sent side by side: either may come first
    stamp_of = lambda seen: seen.headers["x-front-request-timestamp"]  # noqa: E731
    [copy] = [s for s in replays if stamp_of(s) == stamp_of(original)]
    [old] = [s for s in replays if s is not copy]
    assert copy.body == original.body and copy.headers["x-front-signature"] == original.headers["x-front-signature"]
    assert copy.headers["x-front-request-timestamp"] == original.headers["x-front-request-timestamp"]
    stamp = int(old.headers["x-front-request-timestamp"])
    assert stamp == int(original.headers["x-front-request-timestamp"]) - 600_000 and old.signed
    assert old.body == original.body
    assert [r["event_id"] for r in replayed + backdated] == [original.event_id] * 2
    hooks.set_webhook_faults(replay={"probability": 1.0})  # each new event also replays an earlier request
    hooks.mutate("reopen")
    receiver.wait_for(lambda got: len(got) == 5)
    hooks.wait_webhooks_idle()
    assert Counter(d["kind"] for d in hooks.webhook_deliveries() if d["kind"] != "handshake") == {
        "event": 2,
        "replay": 3,
    }


def test_pause_holds_deliveries_until_resumed(hooks, receiver):
    register(hooks, receiver)
    hooks.set_webhook_faults(paused=True)
    events = hooks.mutate("archive", count=3)["events"]
    assert hooks.webhook_status()["queued"] == 3
    assert receiver.events() == []
    hooks.set_webhook_faults(paused=False)
    receiver.wait_for(lambda got: len(got) == 3)
    assert sorted(s.event_id for s in receiver.events()) == sorted(events)


def test_bad_fault_and_settings_are_refused(hooks):
    with pytest.raises(SimulatorControlError, match="drop"):
        hooks.set_webhook_faults(drop=1.5)
    with pytest.raises(SimulatorControlError, match="unknown"):
        hooks.set_webhook_faults(explode=True)
    with pytest.raises(SimulatorControlError, match="retry_delays"):
        hooks.set_webhook_settings(retry_delays=[1, 2, 3, 4])


def test_signature_helper_matches_the_documented_algorithm():
    from front_simulator.webhooks.envelope import signature

    assert signature("s3cret", "1700000000000", b'{"a":1}') == expected_signature("s3cret", "1700000000000", b'{"a":1}')
