"""The error-policy table, Retry-After and reset parsing, scopes and URL rules: pure functions, no network."""

from __future__ import annotations

import pytest
import requests

from front_sync.hooks import urls
from front_sync.hooks.errors import FrontUnsafeURLError
from front_sync.hooks.policy import (
    Action,
    classify_exception,
    classify_status,
    front_retry_after,
    retry_after_seconds,
    seconds_until_reset,
)
from front_sync.hooks.scopes import required_scope

NOW = 1_764_000_000.0


@pytest.mark.parametrize(
    ("status", "action"),
    [
        (200, Action.OK),
        (204, Action.OK),
        (301, Action.MERGED),
        (302, Action.UNEXPECTED),
        (400, Action.BAD_REQUEST),
        (401, Action.AUTH),
        (403, Action.AUTH),
        (404, Action.NOT_FOUND),
        (408, Action.RETRY),
        (409, Action.BAD_REQUEST),
        (429, Action.RATE_LIMITED),
        (500, Action.RETRY),
        (502, Action.RETRY),
        (503, Action.RETRY),
        (504, Action.RETRY),
        (520, Action.RETRY),
    ],
    ids=lambda v: v.name.lower() if isinstance(v, Action) else f"http-{v}",
)
def test_each_status_maps_to_one_action(status, action):
    decision = classify_status(status)
    assert decision.action is action and decision.cause == f"http_{status}"


@pytest.mark.parametrize(
    ("exc", "action", "cause"),
    [
        (requests.exceptions.ReadTimeout(), Action.RETRY, "timeout"),
        (requests.exceptions.ConnectTimeout(), Action.RETRY, "timeout"),
        (requests.exceptions.ConnectionError(), Action.RETRY, "connection_error"),
        (requests.exceptions.ChunkedEncodingError(), Action.RETRY, "connection_error"),
        (requests.exceptions.ContentDecodingError(), Action.RETRY, "invalid_body"),
        (ValueError("Expecting value"), Action.RETRY, "invalid_json"),
        (requests.exceptions.InvalidURL(), Action.BAD_REQUEST, "invalid_url"),
    ],
    ids=[
        "read-timeout",
        "connect-timeout-counts-as-timeout",
        "connection-reset",
        "body-cut-off",
        "bad-encoding",
        "truncated-json",
        "invalid-url-fatal",
    ],
)
def test_each_exception_maps_to_one_action(exc, action, cause):
    decision = classify_exception(exc)
    assert decision is not None and (decision.action, decision.cause) == (action, cause)


def test_an_exception_outside_the_table_is_not_guessed():
    assert classify_exception(requests.exceptions.TooManyRedirects()) is None


@pytest.mark.parametrize(
    ("headers", "wait"),
    [
        ({"retry-after": "2.5"}, 2.5),
        ({"retry-after": "0.341"}, 1.0),
        ({"retry-after": "0"}, 1.0),
        ({}, 1.0),
        ({"retry-after": "soon"}, 1.0),
        ({"retry-after": "-3"}, 1.0),
        ({"retry-after": "12.0001"}, 12.001),
        ({"retry-after": "Tue, 25 Nov 2025 16:00:30 GMT"}, 30.0),
        ({"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(int(NOW) + 7)}, 7.0),
        ({"x-ratelimit-remaining": "3", "x-ratelimit-reset": str(int(NOW) + 7)}, 1.0),
    ],
    ids=[
        "float-seconds",
        "fraction-waits-the-1s-minimum",
        "zero-waits-1s",
        "missing-waits-1s",
        "garbage-waits-1s",
        "negative-waits-1s",
        "rounded-up-to-the-ms",
        "http-date",
        "missing-on-plan-limit-waits-for-reset",
        "missing-on-burst-limit-waits-1s",
    ],
)
def test_retry_after_is_float_seconds_and_at_least_one(headers, wait):
    now = 1_764_086_400.0 if "GMT" in headers.get("retry-after", "") else NOW  # 2025-11-25 16:00:00 UTC
    assert retry_after_seconds(headers, now) == pytest.approx(wait)


def test_fronts_own_wait_is_kept_unfloored_for_the_other_threads():
    assert front_retry_after({"retry-after": "0.004"}, NOW) == pytest.approx(0.004)
    assert front_retry_after({"retry-after": "0"}, NOW) == 0.0
    assert front_retry_after({"x-ratelimit-remaining": "4"}, NOW) is None


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        (str(int(NOW) + 12), 12.0),
        (str(int(NOW * 1000) + 12_000), 12.0),
        ("12", 12.0),
        (str(int(NOW) + 3600), 60.0),
        (str(int(NOW) - 5), 0.0),
        (None, None),
        ("later", None),
    ],
    ids=["epoch-seconds", "epoch-ms", "delta", "far-future-capped", "past", "missing", "garbage"],
)
def test_rate_limit_reset_reads_every_plausible_form(value, seconds):
    assert seconds_until_reset(value, NOW) == seconds


@pytest.mark.parametrize(
    ("path", "scope"),
    [
        ("/contacts", "contacts:read"),
        ("/contact_lists/cl_1/contacts", "contacts:read"),
        ("/conversations", "conversations:read"),
        ("/conversations/cnv_1", "conversations:read"),
        ("/conversations/cnv_1/messages", "messages:read"),
        ("/conversations/cnv_1/comments", "comments:read"),
        ("/conversations/cnv_1/followers", "teammates:read"),
        ("/conversations/custom_fields", "custom_fields:read"),
        ("/contacts/crd_1/conversations", "conversations:read"),
        ("/tags/tag_1/children", "tags:read"),
        ("/events", "events:*:read"),
        ("/company/statuses", "statuses:read"),
        ("/inboxes/inb_1/channels", "channels:read"),
    ],
    ids=lambda v: v,
)
def test_each_endpoint_names_the_scope_it_needs(path, scope):
    assert required_scope(path) == scope


@pytest.mark.parametrize(
    "url",
    [
        "https://evil.example/contacts",
        "https://api2.frontapp.com@evil.example/contacts",
        "https://evil.example\\@api2.frontapp.com/contacts",
        "http://acme.api.frontapp.com/contacts",
        "ftp://api2.frontapp.com/contacts",
        "https://frontapp.com.evil.example/contacts",
    ],
    ids=["foreign-host", "user-info-trick", "backslash-trick", "https-downgrade", "not-http", "lookalike-suffix"],
)
def test_the_token_never_goes_outside_the_allow_list(url):
    with pytest.raises(FrontUnsafeURLError, match="front_default") as caught:
        urls.check_token_destination(url, "https://api2.frontapp.com", ("*.frontapp.com",), "front_default")
    assert "page_token" not in str(caught.value)


@pytest.mark.parametrize(
    "url",
    [
        "https://api2.frontapp.com/contacts",
        "https://acme.api.frontapp.com/contacts?page_token=x",
        "https://ACME.api.frontapp.com/contacts",
        "https://mirror.internal/contacts",
    ],
    ids=["base-host", "company-host", "host-case-ignored", "connection-allow-list"],
)
def test_base_host_company_hosts_and_the_allow_list_receive_the_token(url):
    urls.check_token_destination(url, "https://api2.frontapp.com", ("*.frontapp.com", "mirror.internal"), "c")


def test_logged_paths_drop_the_query_and_search_text():
    assert urls.loggable_path("https://x.frontapp.com/contacts?page_token=abc&q[updated_after]=1") == "/contacts"
    assert urls.loggable_path("/conversations/search/jane%40example.com?limit=5") == "/conversations/search/{query}"


def test_page_token_identifies_a_next_link():
    assert urls.page_token("https://x.frontapp.com/contacts?limit=5&page_token=abc") == "abc"
    assert urls.page_token("https://x.frontapp.com/contacts?limit=5") == "https://x.frontapp.com/contacts?limit=5"
