"""FrontHook over a fake transport (no network, fake clock): retries, 429s, loops, hosts, fan-out, figures.

The simulator tests (tests/integration/test_hook_faults.py) cover the same policy over real HTTP; these
cover what the simulator cannot produce (a repeated page token, a company host, an https downgrade).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable

import pytest
import requests
from airflow.sdk.exceptions import AirflowFailException
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict

from front_sync.hooks.front import (
    FrontAPIError,
    FrontAuthError,
    FrontBadRequestError,
    FrontHook,
    FrontNotFound,
    FrontPaginationError,
    FrontRetryableError,
    FrontUnsafeURLError,
)

BASE = "https://api2.frontapp.com"
COMPANY = "https://acme.api.frontapp.com"
TOKEN = "tok-unit-5ecret"
WALL = 1_764_000_000.0  # an epoch before the fake clock's wall time: the default quota reset is past


Answer = tuple[int, dict[str, str], object]


class FakeFront(BaseAdapter):
    """A transport that answers from a handler and records every request sent (URL and headers)."""

    def __init__(self, handler: Callable[[requests.PreparedRequest], Answer]) -> None:
        super().__init__()
        self.handler = handler
        self.sent: list[requests.PreparedRequest] = []
        self.closed = 0
        self._lock = threading.Lock()

    def send(self, request, **kwargs):
        with self._lock:
            self.sent.append(request)
        status, headers, body = self.handler(request)
        response = requests.Response()
        response.status_code = status
        response.headers = CaseInsensitiveDict(
            {
                "x-ratelimit-limit": "100",
                "x-ratelimit-remaining": "90",
                "x-ratelimit-reset": str(int(WALL) + 30),
                **headers,
            }
        )
        response._content = body if isinstance(body, bytes) else json.dumps(body).encode()
        response.url = request.url
        response.request = request
        return response

    def close(self) -> None:
        with self._lock:
            self.closed += 1


def sequence(*answers: Answer | BaseException) -> Callable[[requests.PreparedRequest], Answer]:
    """Answer each request with the next item (raising exceptions); the last one repeats."""
    items = list(answers)

    def handler(request):
        item = items.pop(0) if len(items) > 1 else items[0]
        if isinstance(item, BaseException):
            raise item
        return item

    return handler


OK: Answer = (200, {}, {"_results": [{"id": "x", "n": 1.5}]})


@pytest.fixture
def make_hook(monkeypatch, fake_time):
    """Build (hook, fake transport, fake time) for a handler and connection extras."""

    def build(handler, **extra):
        extra = {"rpm": 60_000, "share": 1, "burst_per_second": 0, **extra}
        monkeypatch.setenv(
            "AIRFLOW_CONN_FRONT_DEFAULT",
            json.dumps({"conn_type": "front", "host": BASE, "password": TOKEN, "extra": extra}),
        )
        front = FakeFront(handler)
        clock = fake_time

        def session():
            s = requests.Session()
            s.mount("https://", front)
            s.mount("http://", front)
            return s

        hook = FrontHook(clock=clock.monotonic, sleep=clock.sleep, wall_clock=clock.wall, session_factory=session)
        return hook, front, clock

    return build


def test_numbers_are_decimal_and_the_token_goes_as_a_bearer_header(make_hook):
    hook, front, _ = make_hook(sequence(OK))
    body = hook.request_json("/contacts", {"limit": 5})
    assert str(body["_results"][0]["n"]) == "1.5" and type(body["_results"][0]["n"]).__name__ == "Decimal"
    assert front.sent[0].headers["Authorization"] == f"Bearer {TOKEN}"
    assert front.sent[0].url == f"{BASE}/contacts?limit=5"


def test_retries_back_off_1_2_4_8_16_s_with_jitter_then_raise_a_retryable_error(make_hook):
    hook, front, clock = make_hook(sequence((503, {}, {"_error": {"title": "Service unavailable"}})))
    with pytest.raises(FrontRetryableError, match="after 6 attempts") as caught:
        hook.request_json("/contacts")
    assert not isinstance(caught.value, AirflowFailException)  # Airflow's task retry applies
    assert len(front.sent) == 6
    waits = clock.waits()
    assert len(waits) == 5
    for wait, base in zip(waits, [1, 2, 4, 8, 16], strict=True):
        assert base <= wait <= base + 1
    assert hook.sync_log_figures()["retries"] == 5
    assert hook.sync_log_metadata()["retries_by_cause"] == {"http_503": 5}
    assert hook.sync_log_metadata()["failed_requests"] == 1


def test_max_attempts_zero_sends_once(make_hook):
    hook, front, _ = make_hook(sequence((500, {}, b"")), max_attempts=0)
    with pytest.raises(FrontRetryableError):
        hook.request_json("/contacts")
    assert len(front.sent) == 1


def test_a_status_outside_the_table_retries_by_its_class(make_hook):
    hook, front, _ = make_hook(sequence((520, {}, b""), OK))
    assert hook.request_json("/contacts")["_results"]
    assert hook.sync_log_metadata()["retries_by_cause"] == {"http_520": 1}


def test_429s_never_use_up_retry_attempts(make_hook):
    hook, front, clock = make_hook(sequence(*[(429, {"retry-after": "1"}, {})] * 10, OK))
    assert hook.request_json("/contacts")["_results"]
    assert len(front.sent) == 11 and hook.sync_log_figures()["retries"] == 0
    figures = hook.sync_log_figures()
    assert figures["rate_limit_waits"] == 10 and figures["rate_limit_wait_seconds"] == pytest.approx(10, abs=0.1)
    assert hook.sync_log_metadata()["http_429"] == 10


@pytest.mark.parametrize(
    ("remaining", "other", "held_for"),
    [("40", "conversations", 0.004), ("40", "contacts", 0.0), ("0", "contacts", 0.004)],
    ids=[
        "burst-same-resource-waits-what-front-said",
        "burst-other-resource-goes-on",
        "plan-limit-waits-what-front-said",
    ],
)
def test_a_429_pauses_the_others_only_for_fronts_retry_after_not_the_refused_requests_1s(
    make_hook, remaining, other, held_for
):
    refusal = (429, {"retry-after": "0.004", "x-ratelimit-remaining": remaining}, {})
    hook, front, clock = make_hook(sequence(refusal, OK))
    meanwhile = []

    def sleep(seconds):  # the refused request waits out its 1 s: another thread sends at its start
        if seconds >= 1 and not meanwhile:
            meanwhile.append(hook.budget.acquire(other))
        clock.sleep(seconds)

    hook.settings  # noqa: B018 - build the loop and budget, then route their sleeps through the test's
    hook._loop._sleep = hook.budget._sleep = sleep
    hook.request_json("/conversations/cnv_1")
    assert clock.waits() == pytest.approx([1.0])  # the refused request itself: Retry-After floored at 1 s
    assert meanwhile[0].waited == pytest.approx(held_for, abs=0.0015)


def test_429_waits_stop_at_the_cap_with_a_retryable_error(make_hook):
    hook, front, clock = make_hook(
        sequence((429, {"retry-after": "10", "x-ratelimit-remaining": "0"}, {})), max_rate_limit_wait_seconds=25
    )
    with pytest.raises(FrontRetryableError, match="max_rate_limit_wait_seconds=25"):
        hook.request_json("/contacts")
    assert len(front.sent) == 3 and clock.waits() == pytest.approx([10, 10], abs=0.01)


def test_a_retry_after_beyond_the_cap_fails_without_waiting(make_hook):
    hook, front, clock = make_hook(sequence((429, {"retry-after": "3600"}, {})))
    with pytest.raises(FrontRetryableError, match="rate limited"):
        hook.request_json("/contacts")
    assert clock.waits() == []


def test_a_repeated_page_token_is_a_loop(make_hook):
    page = {"_results": [{"id": "a"}], "_pagination": {"next": f"{COMPANY}/contacts?limit=1&page_token=T1"}}
    hook, front, _ = make_hook(sequence((200, {}, page)))
    pages = hook.iter_pages("/contacts")
    assert next(pages)
    with pytest.raises(FrontAPIError, match="Pagination loop"):
        next(pages)  # the page whose next link repeats is not handed out
    assert len(front.sent) == 2


def test_next_links_on_the_company_host_are_followed_with_the_token(make_hook):
    hook, front, _ = make_hook(
        sequence(
            (200, {}, {"_results": [1], "_pagination": {"next": f"{COMPANY}/contacts?page_token=T1"}}),
            (200, {}, {"_results": [2], "_pagination": {"next": None}}),
        )
    )
    assert list(hook.iter_pages("/contacts")) == [[1], [2]]
    assert [r.url.split("?")[0] for r in front.sent] == [f"{BASE}/contacts", f"{COMPANY}/contacts"]
    assert all(r.headers["Authorization"] == f"Bearer {TOKEN}" for r in front.sent)


@pytest.mark.parametrize(
    "next_url",
    [
        "https://evil.example/contacts?page_token=T1",
        "http://acme.api.frontapp.com/contacts?page_token=T1",
        "https://api2.frontapp.com@evil.example/contacts?page_token=T1",
    ],
    ids=["foreign-host", "https-downgrade", "user-info-trick"],
)
def test_a_next_link_outside_the_allow_list_is_refused_before_anything_is_sent(make_hook, next_url):
    hook, front, _ = make_hook(sequence((200, {}, {"_results": [1], "_pagination": {"next": next_url}})))
    pages = hook.iter_pages("/contacts")
    next(pages)
    with pytest.raises(FrontUnsafeURLError) as caught:
        next(pages)
    assert len(front.sent) == 1 and TOKEN not in str(caught.value) and "T1" not in str(caught.value)


@pytest.mark.parametrize(
    "next_url",
    ["/contacts?page_token=T1", "contacts?page_token=T1", 42],
    ids=["absolute-path", "relative-path", "not-text"],
)
def test_a_next_link_that_is_not_an_absolute_url_fails_naming_the_listing_and_the_link(make_hook, next_url):
    hook, front, _ = make_hook(sequence((200, {}, {"_results": [1], "_pagination": {"next": next_url}})))
    pages = hook.iter_pages("/contacts")
    assert next(pages) == [1]  # the records of the page that carried the bad link are handed out
    with pytest.raises(FrontPaginationError) as caught:
        next(pages)
    message = str(caught.value)
    assert "GET /contacts" in message and "not an absolute URL" in message and len(front.sent) == 1
    assert (str(next_url).split("?")[0] if isinstance(next_url, str) else "42") in message


def test_unpaginated_lists_yield_their_one_page(make_hook):
    hook, _, _ = make_hook(sequence((200, {}, {"_results": [{"id": "inb_1"}]})))
    assert list(hook.iter_pages("/inboxes")) == [[{"id": "inb_1"}]]


@pytest.mark.parametrize(
    ("status", "error", "expected"),
    [
        (400, FrontBadRequestError, "limit must be an integer"),
        (401, FrontAuthError, "did not accept the API token"),
        (403, FrontAuthError, "messages:read"),
        (302, FrontAPIError, "unexpected 302"),
    ],
    ids=["bad-request-quotes-front", "unauthenticated", "forbidden-names-scope", "redirect-not-followed"],
)
def test_final_answers_raise_at_once(make_hook, status, error, expected):
    body = {"_error": {"status": status, "title": "Nope", "message": "limit must be an integer"}}
    hook, front, _ = make_hook(sequence((status, {"location": "https://elsewhere.example/x"}, body)))
    with pytest.raises(error, match=expected) as caught:
        hook.request_json("/conversations/cnv_1/messages")
    assert len(front.sent) == 1  # no retry, and the 302 was not followed
    assert TOKEN not in str(caught.value)
    if error is not FrontAPIError:
        assert "front_default" in str(caught.value)


def test_404_is_reported_as_missing(make_hook):
    hook, _, _ = make_hook(sequence((404, {}, {"_error": {"status": 404, "title": "Not found"}})))
    with pytest.raises(FrontNotFound) as caught:
        hook.request_json("/conversations/cnv_9/messages")
    assert caught.value.path == "/conversations/cnv_9/messages"
    assert hook.sync_log_metadata()["not_found"] == 1 and hook.sync_log_metadata()["failed_requests"] == 0


def test_an_exhausted_quota_on_a_200_holds_the_next_request_until_the_reset(make_hook, fake_time):
    hook, front, clock = make_hook(
        sequence(
            (
                200,
                {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(int(fake_time.wall()) + 12)},
                {"_results": []},
            ),
            OK,
        )
    )
    hook.request_json("/contacts")
    hook.request_json("/contacts")
    assert [r.url for r in front.sent] == [f"{BASE}/contacts"] * 2
    assert 11 <= clock.waits()[0] <= 12
    assert hook.sync_log_figures()["rate_limit_waits"] == 1 and hook.sync_log_metadata()["http_429"] == 0


def test_sync_log_figures_have_exactly_the_sync_logs_keys(make_hook):
    hook, _, _ = make_hook(sequence(OK))
    hook.request_json("/contacts")
    figures = hook.sync_log_figures()
    assert set(figures) == {"api_calls", "retries", "rate_limit_waits", "rate_limit_wait_seconds", "bytes_received"}
    assert figures["api_calls"] == 1 and figures["bytes_received"] > 0
    meta = hook.sync_log_metadata()
    assert meta["quota_limit"] == 100 and meta["quota_remaining"] == 90 and meta["by_status"] == {"200": 1}


def test_map_concurrent_yields_every_result_with_one_session_per_thread(make_hook):
    hook, front, _ = make_hook(lambda r: (200, {}, {"id": r.url.rsplit("/", 1)[1]}))
    sessions = set()

    def fetch(cid):
        sessions.add(id(hook.get_conn()))
        time.sleep(0.001 * (hash(cid) % 3))  # finish out of order
        return hook.request_json(f"/conversations/{cid}")["id"]

    ids = [f"cnv_{i}" for i in range(40)]
    results = list(hook.map_concurrent(fetch, ids, max_workers=4))
    assert sorted(results) == sorted(ids) and len(results) == 40
    assert len(sessions) == 4 and len(front.sent) == 40
    assert hook._sessions == [] and front.closed >= 4  # the workers' sessions were closed with the pool


def test_map_concurrent_a_slow_first_item_does_not_hold_back_the_others():
    hook = FrontHook()
    release = threading.Event()

    def fetch(i):
        if i == 0:  # as if waiting out a backoff or a 429: only the others can release it
            release.wait(timeout=10)
        return i

    seen = []
    for result in hook.map_concurrent(fetch, range(30), max_workers=3):
        seen.append(result)
        if len(seen) == 29:
            release.set()
    assert sorted(seen[:29]) == list(range(1, 30)) and seen[-1] == 0


def test_map_concurrent_keeps_at_most_two_items_per_worker_ahead():
    hook = FrontHook()
    started = []
    results = hook.map_concurrent(lambda i: started.append(i) or i, range(1000), max_workers=3)
    assert next(results) in range(6)
    time.sleep(0.05)
    assert len(started) <= 7
    results.close()


def test_map_concurrent_raises_the_first_failure_and_stops(make_hook):
    hook, front, _ = make_hook(sequence(OK))

    def fetch(i):
        if i == 3:
            raise FrontNotFound(f"/conversations/cnv_{i}/messages")
        return hook.request_json(f"/conversations/cnv_{i}")

    with pytest.raises(FrontNotFound):
        list(hook.map_concurrent(fetch, range(500), max_workers=2))
    assert len(front.sent) < 20  # the rest were never submitted


def test_map_concurrent_yields_the_results_ready_before_raising_a_failure():
    hook = FrontHook()
    gate = threading.Event()

    def fetch(i):
        if i == 0:
            gate.wait(timeout=10)
            raise FrontNotFound("/conversations/cnv_0/messages")
        return i

    seen = []
    with pytest.raises(FrontNotFound):
        for result in hook.map_concurrent(fetch, range(4), max_workers=2):
            seen.append(result)
            if len(seen) == 3:
                gate.set()
    assert sorted(seen) == [1, 2, 3]


# -- what HttpHook provides, and what it must not do -------------------------------------------------------


def test_extras_never_become_headers(make_hook):
    hook, front, _ = make_hook(sequence(OK), page_limit=50, Authorization="Basic stolen", allowed_hosts="x.internal")
    hook.request_json("/contacts")
    sent = front.sent[0].headers
    assert sent["Authorization"] == f"Bearer {TOKEN}"
    assert sent["Accept"] == "application/json" and sent["User-Agent"].startswith("front-sync/")
    assert not {"rpm", "share", "burst_per_second", "page_limit", "allowed_hosts"} & {h.lower() for h in sent}
    assert not {"rpm", "share", "Authorization"} & set(hook.get_conn().headers)
    with pytest.raises(TypeError, match="no headers or extra_options"):  # HttpHook's per-call options: refused
        hook.get_conn(extra_options={"proxies": {"https": "http://proxy.example"}})


def test_the_session_itself_never_sends_the_token_to_another_host(make_hook):
    hook, front, _ = make_hook(sequence(OK))
    with pytest.raises(FrontUnsafeURLError) as caught:
        hook.get_conn().get("https://evil.example/contacts")
    assert front.sent == [] and TOKEN not in str(caught.value) and TOKEN not in repr(hook.get_conn().auth)


@pytest.mark.parametrize(
    ("host", "base"),
    [("api2.frontapp.com", BASE), (f"{COMPANY}/", COMPANY)],
    ids=["bare-host-means-https", "trailing-slash"],
)
def test_the_base_url_is_httphooks_by_our_rule(monkeypatch, host, base):
    connection = {"conn_type": "front", "host": host, "password": TOKEN}
    monkeypatch.setenv("AIRFLOW_CONN_FRONT_DEFAULT", json.dumps(connection))
    hook = FrontHook()
    assert hook.settings.base_url == hook.base_url == base
    assert hook.url_from_endpoint("contacts") == hook.url_from_endpoint("/contacts") == f"{base}/contacts"


def test_httphooks_own_sending_and_retrying_are_refused():
    hook = FrontHook()
    with pytest.raises(TypeError, match="refused"):
        hook.run("/me")
    with pytest.raises(TypeError, match="refused"):
        hook.run_with_advanced_retry({}, "/me")


def test_close_closes_every_session_and_a_closed_hook_opens_new_ones(make_hook):
    hook, front, _ = make_hook(sequence(OK))
    with hook:
        hook.request_json("/contacts")
        first = hook.get_conn()
    assert front.closed >= 1 and hook._sessions == []
    hook.request_json("/contacts")
    assert hook.get_conn() is not first
