"""FrontHook against the simulator's fault injection and rate limiter, over real HTTP.

Backoffs and 429 waits run on a fake clock (the hook's injected sleep), so the file takes seconds; only
read timeouts and the rate-limiter tests spend real time. Every test also checks that the token never
reaches the captured logs (autouse fixture) and, where something is raised, the exception's full text.
"""

from __future__ import annotations

import json
import logging
import time
import traceback

import pytest
import requests
from airflow.sdk.exceptions import AirflowFailException

from front_sync.hooks.front import (
    FrontAuthError,
    FrontBadRequestError,
    FrontConversationMerged,
    FrontHook,
    FrontLooksDownError,
    FrontNotFound,
    FrontRetryableError,
    FrontUnsafeURLError,
)
from front_sync_testing.clock import FakeTime

TOKEN = "test-token"  # the simulator's token (tests/conftest.py)
WRONG_TOKEN = "not-the-token-4f9a"


class RecordingSession(requests.Session):
    """A session that remembers every request it sent: URL and whether it carried a token."""

    sent: list[tuple[str, str | None]] = []

    def send(self, request, **kwargs):
        RecordingSession.sent.append((request.url, request.headers.get("Authorization")))
        return super().send(request, **kwargs)


def make_hook(monkeypatch, base_url, token=TOKEN, clock=None, session_factory=requests.Session, **extra):
    """A hook on the simulator: fast budget and fake time unless a test asks otherwise."""
    extra = {
        "allowed_hosts": ["localhost"],
        "rpm": 60_000,
        "share": 1,
        "burst_per_second": 0,
        "read_timeout": 0.5,
        **extra,
    }
    monkeypatch.setenv(
        "AIRFLOW_CONN_FRONT_DEFAULT",
        json.dumps({"conn_type": "front", "host": base_url, "password": token, "extra": extra}),
    )
    if clock is None:
        return FrontHook(session_factory=session_factory)
    return FrontHook(clock=clock.monotonic, sleep=clock.sleep, session_factory=session_factory)


def full_text(exc: BaseException) -> str:
    """Everything an operator could see of an exception: message, repr, traceback and its chain."""
    return "".join(traceback.format_exception(exc)) + repr(exc)


@pytest.fixture(autouse=True)
def token_never_logged(caplog):
    """Capture everything at DEBUG, then fail the test if either token appears in the logs."""
    caplog.set_level(logging.DEBUG)
    yield caplog
    assert TOKEN not in caplog.text and WRONG_TOKEN not in caplog.text


@pytest.fixture
def rate_limited(simulator):
    """The simulator's rate limiter, switched off again after the test (reset keeps its settings)."""
    yield simulator
    simulator.set_rate_limit(None)


def test_a_leaked_token_would_be_caught(caplog):
    # Guards the guard: nothing (such as Airflow's secrets masker) hides a token from caplog.
    logging.getLogger("front_sync.hooks.front").debug("leak %s", TOKEN)
    assert TOKEN in caplog.text
    caplog.clear()


def endpoint_stats(simulator, template="/contacts"):
    return simulator.stats()["endpoints"].get(template, {"calls": 0, "statuses": {}, "faults": {}})


# -- transient failures: retried with backoff, no page lost ----------------------------------------------------


@pytest.mark.parametrize(
    ("fault", "cause"),
    [
        pytest.param({"kind": "status", "status": 500}, "http_500", id="500-retried"),
        pytest.param({"kind": "status", "status": 502, "body": "html"}, "http_502", id="502-proxy-html-retried"),
        pytest.param({"kind": "status", "status": 503}, "http_503", id="503-retried"),
        pytest.param({"kind": "status", "status": 504, "body": "empty"}, "http_504", id="504-retried"),
        pytest.param({"kind": "reset"}, "connection_error", id="connection-reset-retried"),
        pytest.param({"kind": "truncate", "mode": "body"}, "invalid_json", id="truncated-json-then-success"),
        pytest.param({"kind": "truncate", "mode": "connection"}, "connection_error", id="body-cut-by-reset"),
        pytest.param({"kind": "hang", "seconds": 3}, "timeout", id="hang-past-the-read-timeout"),
    ],
)
def test_a_transient_failure_on_a_page_is_retried_and_no_page_is_lost(
    simulator, simulator_server, monkeypatch, fault, cause
):
    simulator.reset(seed=3, sizes={"contacts": 250})
    clock = FakeTime(start=1000.0)
    hook = make_hook(monkeypatch, simulator_server.base_url, clock=clock)
    expected = [c["id"] for c in simulator.truth("contacts")["_results"]]
    simulator.set_faults([{**fault, "endpoint": "/contacts", "on_calls": [2]}])  # the second page, once

    started = time.monotonic()
    pages = list(hook.iter_pages("/contacts", {"sort_by": "created_at", "sort_order": "asc"}))

    ids = [c["id"] for page in pages for c in page]
    assert len(ids) == len(set(ids)) == 250 and set(ids) == set(expected)
    assert simulator.faults()[0]["fired"] == 1 and endpoint_stats(simulator)["calls"] == 4
    assert hook.sync_log_metadata()["retries_by_cause"] == {cause: 1}
    assert hook.sync_log_figures()["retries"] == 1 and hook.sync_log_figures()["api_calls"] == 4
    assert len(clock.waits()) == 1 and 1 <= clock.waits()[0] <= 2  # the first backoff, with jitter
    assert time.monotonic() - started < 2.5  # a hang costs the read timeout, not the 3 s it hangs


@pytest.mark.parametrize(
    ("fault", "cause", "read_timeout"),
    [
        pytest.param({"kind": "status", "status": 503}, "http_503", 0.5, id="503-until-retries-are-spent"),
        pytest.param({"kind": "reset"}, "connection_error", 0.5, id="resets-until-retries-are-spent"),
        pytest.param({"kind": "hang", "seconds": 2}, "timeout", 0.15, id="hangs-until-retries-are-spent"),
    ],
)
def test_retries_spent_raise_a_retryable_error_for_the_task_retry(
    simulator, simulator_server, monkeypatch, fault, cause, read_timeout
):
    simulator.reset(seed=3, sizes={"contacts": 10})
    simulator.set_faults([{**fault, "endpoint": "/contacts"}])
    clock = FakeTime(start=1000.0)
    hook = make_hook(monkeypatch, simulator_server.base_url, clock=clock, read_timeout=read_timeout)

    with pytest.raises(FrontRetryableError) as caught:
        list(hook.iter_pages("/contacts"))

    assert not isinstance(caught.value, AirflowFailException) and caught.value.cause == cause
    assert "/contacts" in str(caught.value) and "6 attempts" in str(caught.value)
    assert endpoint_stats(simulator)["calls"] == 6
    assert all(b <= w <= b + 1 for w, b in zip(clock.waits(), [1, 2, 4, 8, 16], strict=True))  # + jitter
    assert hook.sync_log_metadata()["retries_by_cause"] == {cause: 5}
    assert TOKEN not in full_text(caught.value)


def test_a_listing_resumes_from_a_stored_next_link_in_a_new_task(simulator, simulator_server, monkeypatch):
    simulator.reset(seed=3, sizes={"contacts": 250})
    first = make_hook(monkeypatch, simulator_server.base_url, clock=FakeTime(start=1000.0))
    records, stored = next(first.iter_pages_resumable("/contacts", {"sort_by": "created_at", "sort_order": "asc"}))
    assert len(records) == 100 and stored and "page_token" in stored

    retry = make_hook(monkeypatch, simulator_server.base_url, clock=FakeTime(start=1000.0))  # the task retry
    pages = list(retry.iter_pages_resumable("/contacts", resume_url=stored))

    ids = [c["id"] for c in records] + [c["id"] for page, _ in pages for c in page]
    assert len(ids) == len(set(ids)) == 250 and set(ids) == {c["id"] for c in simulator.truth("contacts")["_results"]}
    assert pages[-1][1] is None and retry.metrics.calls == 2


# -- final answers: fail at once, or report to the caller ----------------------------------------------------


def test_a_wrong_token_fails_at_once_naming_the_connection_and_scope(simulator, simulator_server, monkeypatch):
    hook = make_hook(monkeypatch, simulator_server.base_url, token=WRONG_TOKEN, clock=FakeTime(start=1000.0))
    with pytest.raises(FrontAuthError) as caught:
        hook.request_json("/conversations")
    text = full_text(caught.value)
    assert isinstance(caught.value, AirflowFailException)
    assert "'front_default'" in text and "401" in text and "conversations:read" in text
    assert WRONG_TOKEN not in text and hook.metrics.calls == 1
    # Issue 22 finding 2: the Test button's answer speaks of the form's field, not of a temporary conn id or
    # "the scope none" (GET /me needs no scope).
    ok, message = hook.test_connection()
    assert not ok and "this connection's API token field" in message and "401" in message
    assert "scope" not in message and "front_default" not in message and WRONG_TOKEN not in message


def test_a_missing_scope_fails_at_once_naming_it(simulator, simulator_server, monkeypatch):
    simulator.reset(seed=3, sizes={"conversations": 3})
    cid = simulator.truth("conversations")["_results"][0]["id"]
    simulator.set_faults([{"kind": "status", "status": 403, "endpoint": "/conversations/{id}/messages"}])
    hook = make_hook(monkeypatch, simulator_server.base_url, clock=FakeTime(start=1000.0))
    with pytest.raises(FrontAuthError, match="messages:read") as caught:
        list(hook.iter_pages(f"/conversations/{cid}/messages"))
    assert "front_default" in str(caught.value) and TOKEN not in full_text(caught.value)
    assert hook.metrics.calls == 1


def test_a_bad_request_is_fatal_with_fronts_message(simulator, simulator_server, monkeypatch):
    hook = make_hook(monkeypatch, simulator_server.base_url, clock=FakeTime(start=1000.0))
    with pytest.raises(FrontBadRequestError, match="limit must be >= 1") as caught:
        hook.request_json("/contacts", {"limit": 0})
    assert isinstance(caught.value, AirflowFailException) and hook.metrics.calls == 1
    assert TOKEN not in full_text(caught.value)


def test_a_missing_child_is_reported_as_missing(simulator, simulator_server, monkeypatch):
    hook = make_hook(monkeypatch, simulator_server.base_url, clock=FakeTime(start=1000.0))
    with pytest.raises(FrontNotFound) as caught:
        list(hook.iter_pages("/conversations/cnv_gone/messages"))
    assert not isinstance(caught.value, AirflowFailException)
    assert caught.value.path == "/conversations/cnv_gone/messages" and hook.metrics.calls == 1
    assert hook.sync_log_metadata()["not_found"] == 1


@pytest.mark.parametrize("suffix", ["", "/messages", "/comments"], ids=["conversation", "messages", "comments"])
def test_a_merged_conversation_is_reported_not_followed(simulator, simulator_server, monkeypatch, suffix):
    simulator.reset(seed=5, sizes={"conversations": 12})
    merged = simulator.mutate("merge_conversations", count=1)["merged"]
    old_id, survivor = next(iter(merged.items()))
    assert simulator.truth("merges")["conversations"][old_id] == survivor
    simulator.reset_stats()
    hook = make_hook(monkeypatch, simulator_server.base_url, clock=FakeTime(start=1000.0))

    with pytest.raises(FrontConversationMerged) as caught:
        list(hook.iter_pages(f"/conversations/{old_id}{suffix}"))

    assert (caught.value.old_id, caught.value.surviving_id) == (old_id, survivor)
    assert not isinstance(caught.value, AirflowFailException)
    assert simulator.stats()["totals"]["calls"] == 1  # the 301 was not followed
    assert hook.sync_log_metadata()["merged"] == 1 and hook.sync_log_metadata()["failed_requests"] == 0


# -- 429: wait Retry-After, never use up a retry attempt -----------------------------------------------------


@pytest.mark.parametrize(
    ("fault", "wait", "burst"),
    [
        pytest.param({"kind": "rate_limit", "retry_after": 2.5}, 2.5, False, id="retry-after-2.5s"),
        pytest.param({"kind": "rate_limit", "retry_after": 0.341}, 1.0, False, id="retry-after-fraction-waits-1s"),
        pytest.param({"kind": "rate_limit", "retry_after": 0}, 1.0, False, id="retry-after-zero-waits-1s"),
        pytest.param({"kind": "status", "status": 429}, 1.0, True, id="retry-after-missing-waits-1s"),
        pytest.param(
            {"kind": "rate_limit", "retry_after": 0.2, "remaining": 7}, 1.0, True, id="burst-429-while-quota-remains"
        ),
    ],
)
def test_429_waits_retry_after_without_using_a_retry_attempt(
    simulator, simulator_server, monkeypatch, fault, wait, burst
):
    simulator.reset(seed=3, sizes={"contacts": 120})
    simulator.set_faults([{**fault, "endpoint": "/contacts", "after_calls": 1, "times": 7}])  # more than 5 retries
    clock = FakeTime(start=1000.0)
    hook = make_hook(monkeypatch, simulator_server.base_url, clock=clock)

    pages = list(hook.iter_pages("/contacts"))

    assert [len(p) for p in pages] == [100, 20]
    assert endpoint_stats(simulator)["statuses"]["429"] == 7
    assert clock.waits() == pytest.approx([wait] * 7, abs=0.01)
    figures, meta = hook.sync_log_figures(), hook.sync_log_metadata()
    assert figures["retries"] == 0 and figures["api_calls"] == 9
    assert figures["rate_limit_waits"] == 7 and figures["rate_limit_wait_seconds"] == pytest.approx(7 * wait, abs=0.1)
    assert meta["http_429"] == 7 and meta["burst_429"] == (7 if burst else 0)


def test_a_429_storm_past_the_wait_cap_fails_retryably(simulator, simulator_server, monkeypatch):
    simulator.set_faults([{"kind": "rate_limit", "retry_after": 20, "endpoint": "/me"}])
    clock = FakeTime(start=1000.0)
    hook = make_hook(monkeypatch, simulator_server.base_url, clock=clock, max_rate_limit_wait_seconds=50)
    with pytest.raises(FrontRetryableError, match="max_rate_limit_wait_seconds=50") as caught:
        hook.get_me()
    assert clock.waits() == pytest.approx([20, 20], abs=0.01) and caught.value.cause == "rate_limited"
    assert TOKEN not in full_text(caught.value)


# -- the token's destinations ---------------------------------------------------------------------------------


def test_a_next_link_to_a_foreign_host_is_refused_and_the_token_not_sent(simulator, simulator_server, monkeypatch):
    simulator.reset(seed=11, sizes={"contacts": 150})
    RecordingSession.sent = []
    # The simulator's links use "localhost" while the base URL is 127.0.0.1: without the allow-list entry,
    # localhost is a foreign host.
    hook = make_hook(
        monkeypatch,
        simulator_server.base_url,
        allowed_hosts=[],
        clock=FakeTime(start=1000.0),
        session_factory=RecordingSession,
    )
    pages = hook.iter_pages("/contacts")
    assert len(next(pages)) == 100
    with pytest.raises(FrontUnsafeURLError, match="localhost") as caught:
        next(pages)
    assert [url.split("?")[0] for url, _ in RecordingSession.sent] == [f"{simulator_server.base_url}/contacts"]
    assert simulator.stats()["totals"]["calls"] == 1
    assert TOKEN not in full_text(caught.value) and "page_token" not in str(caught.value)


# -- the circuit breaker --------------------------------------------------------------------------------------


def test_the_breaker_opens_on_a_down_api_fails_fast_then_closes(simulator, simulator_server, monkeypatch):
    simulator.set_faults([{"kind": "status", "status": 503}])  # every endpoint: Front is down
    clock = FakeTime(start=1000.0)
    hook = make_hook(
        monkeypatch, simulator_server.base_url, clock=clock, breaker_failures=3, breaker_cooldown_seconds=30
    )

    with pytest.raises(FrontLooksDownError, match="Front looks down") as caught:
        hook.get_me()
    assert isinstance(caught.value, FrontRetryableError) and not isinstance(caught.value, AirflowFailException)
    assert simulator.stats()["totals"]["calls"] == 3  # stopped at the threshold, not after all 6 attempts
    assert hook.breaker.state == "open"

    with pytest.raises(FrontLooksDownError):  # fails fast: no request at all
        list(hook.map_concurrent(lambda _: hook.get_me(), range(8), max_workers=4))
    assert simulator.stats()["totals"]["calls"] == 3

    clock.now += 30  # the cool-down passes; one probe finds Front still down and re-opens
    with pytest.raises(FrontLooksDownError):
        hook.get_me()
    assert simulator.stats()["totals"]["calls"] == 4 and hook.breaker.state == "open"

    simulator.clear_faults()
    clock.now += 30
    assert hook.get_me()["id"]  # the probe succeeds and closes the circuit
    assert hook.breaker.state == "closed"
    assert [hook.get_me()["id"] for _ in range(3)]
    assert hook.sync_log_metadata()["breaker_opened"] == 2
    assert TOKEN not in full_text(caught.value)


# -- the budget against the simulator's rate limiter (real time, a few seconds) ------------------------------


def test_a_shared_budget_keeps_a_thread_pool_free_of_429s(rate_limited, simulator_server, monkeypatch):
    rate_limited.reset(seed=3, sizes={"conversations": 12})
    ids = [c["id"] for c in rate_limited.truth("conversations")["_results"]][:10]
    # Simulator: 20 requests per 2 s window (600 rpm) and 5 per second per resource; the hook: the same.
    rate_limited.set_rate_limit(rpm=20, burst_per_second=5, window_seconds=2)
    rate_limited.reset_stats()
    hook = make_hook(monkeypatch, simulator_server.base_url, rpm=600, share=1.0, burst_per_second=5)

    started = time.monotonic()
    results = list(hook.map_concurrent(lambda cid: hook.request_json(f"/conversations/{cid}")["id"], ids, 4))
    elapsed = time.monotonic() - started

    assert sorted(results) == sorted(ids)
    assert rate_limited.stats()["totals"]["429s"] == 0
    assert elapsed >= 9 * 0.2  # ten requests to one resource, at most five per second
    assert hook.sync_log_figures()["rate_limit_waits"] == 0


def test_quota_headers_slow_the_hook_down_before_a_429(rate_limited, simulator_server, monkeypatch):
    # Others have spent most of the quota: the simulator allows 4 requests per 2 s window, far below the
    # hook's own budget. Reading x-ratelimit-remaining/-reset, the hook holds until the reset instead.
    rate_limited.set_rate_limit(rpm=4, burst_per_second=None, window_seconds=2)
    hook = make_hook(monkeypatch, simulator_server.base_url, rpm=6000, share=1.0)

    started = time.monotonic()
    for _ in range(6):
        hook.get_me()
    elapsed = time.monotonic() - started

    # Without reading the headers the six calls take milliseconds and the last two get 429s.
    assert rate_limited.stats()["totals"]["429s"] == 0 and hook.sync_log_figures()["api_calls"] == 6
    assert elapsed >= 1.9  # the last two waited for the second window
    waited = hook.sync_log_metadata()["pacing_wait_seconds"] + hook.sync_log_figures()["rate_limit_wait_seconds"]
    assert waited >= 1.5
