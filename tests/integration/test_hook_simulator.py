"""FrontHook over real HTTP against the simulator: pagination, auth failures, the host allow-list."""

from __future__ import annotations

import json

import pytest
from airflow.sdk.exceptions import AirflowFailException

from front_sync.hooks.front import FrontAuthError, FrontConfigError, FrontHook, FrontUnsafeURLError


def connect(monkeypatch, base_url, token="test-token", **extra):
    extra.setdefault("allowed_hosts", ["localhost"])
    monkeypatch.setenv(
        "AIRFLOW_CONN_FRONT_DEFAULT",
        json.dumps({"conn_type": "front", "host": base_url, "password": token, "extra": extra}),
    )
    return FrontHook()


def test_pages_are_followed_to_the_end_through_short_pages(simulator, simulator_server, monkeypatch):
    simulator.reset(seed=11, sizes={"contacts": 250})
    deleted = set(simulator.mutate("delete_contacts", count=40)["ids"])
    expected = {c["id"] for c in simulator.truth("contacts")["_results"]}
    assert len(expected) == 210 and not deleted & expected

    hook = connect(monkeypatch, simulator_server.base_url)
    pages = list(hook.iter_pages("/contacts", {"sort_by": "created_at", "sort_order": "asc"}))
    sizes = [len(p) for p in pages]
    ids = [c["id"] for page in pages for c in page]
    assert len(ids) == len(set(ids)) and set(ids) == expected
    assert len(pages) == 3 and any(size < 100 for size in sizes[:-1]), sizes
    assert hook.metrics.calls == 3


def test_page_limit_comes_from_the_connection(simulator, simulator_server, monkeypatch):
    simulator.reset(seed=11, sizes={"contacts": 45})
    hook = connect(monkeypatch, simulator_server.base_url, page_limit=20)
    assert [len(p) for p in hook.iter_pages("/contacts")] == [20, 20, 5]


def test_wrong_token_fails_at_once_naming_the_connection(simulator, simulator_server, monkeypatch):
    hook = connect(monkeypatch, simulator_server.base_url, token="not-the-token-123")
    with pytest.raises(FrontAuthError) as caught:
        list(hook.iter_pages("/contacts"))
    assert isinstance(caught.value, AirflowFailException)  # Airflow does not retry it
    message = str(caught.value)
    assert "front_default" in message and "401" in message and "not-the-token-123" not in message
    assert hook.metrics.calls == 1


def test_next_link_to_a_host_outside_the_allow_list_is_refused(simulator, simulator_server, monkeypatch):
    simulator.reset(seed=11, sizes={"contacts": 150})
    hook = connect(monkeypatch, simulator_server.base_url, allowed_hosts=[])
    pages = hook.iter_pages("/contacts")
    assert len(next(pages)) == 100
    with pytest.raises(FrontUnsafeURLError, match="localhost"):
        next(pages)
    assert hook.metrics.calls == 1  # the token never went to the other host


@pytest.mark.parametrize(
    ("extra", "setting"),
    [
        ({"page_limit": 500}, "page_limit"),
        ({"read_timeout": "soon"}, "read_timeout"),
        ({"allowed_hosts": 5}, "allowed_hosts"),
    ],
    ids=["page-limit-too-big", "timeout-not-number", "allow-list-not-list"],
)
def test_bad_connection_settings_fail_fast_naming_the_setting(monkeypatch, extra, setting):
    hook = connect(monkeypatch, "http://127.0.0.1:9", **extra)
    with pytest.raises(FrontConfigError, match=setting):
        hook.get_conn()
