"""Connection extras: defaults, accepted forms, and a FrontConfigError naming each bad setting."""

from __future__ import annotations

import logging
from dataclasses import fields
from types import SimpleNamespace

import pytest

from front_sync.hooks.errors import FrontAuthError, FrontConfigError
from front_sync.hooks.settings import HookSettings


def conn(extra=None, host="https://api2.frontapp.com", password="tok-123456", schema=None, port=None):
    return SimpleNamespace(host=host, password=password, schema=schema, port=port, extra_dejson=extra or {})


def test_defaults_are_a_growth_plan_shared_with_others():
    s = HookSettings.from_connection(conn(), "front_default")
    assert (s.rpm, s.share, s.requests_per_minute) == (100, 0.8, 80)
    assert (s.page_limit, s.timeout, s.max_attempts, s.max_workers) == (100, (5.0, 30.0), 5, 4)
    assert (s.breaker_failures, s.breaker_cooldown_seconds, s.max_rate_limit_wait_seconds) == (10, 60.0, 300.0)
    assert s.allowed_hosts == ("*.frontapp.com",) and s.base_host == "api2.frontapp.com"


def test_numbers_typed_into_the_ui_as_text_are_accepted():
    s = HookSettings.from_connection(
        conn({"rpm": "200", "share": "0.5", "max_workers": "8", "allowed_hosts": "a.internal, b.internal"}), "c"
    )
    assert (s.requests_per_minute, s.max_workers, s.allowed_hosts[1:]) == (100, 8, ("a.internal", "b.internal"))


@pytest.mark.parametrize(
    ("extra", "setting"),
    [
        ({"rpm": 0}, "rpm"),
        ({"rpm": "lots"}, "rpm"),
        ({"share": 0}, "share"),
        ({"share": 1.5}, "share"),
        ({"share": True}, "share"),
        ({"page_limit": 500}, "page_limit"),
        ({"page_limit": 2.5}, "page_limit"),
        ({"connect_timeout": 0}, "connect_timeout"),
        ({"read_timeout": "soon"}, "read_timeout"),
        ({"max_attempts": -1}, "max_attempts"),
        ({"max_rate_limit_wait_seconds": 0}, "max_rate_limit_wait_seconds"),
        ({"breaker_failures": 0}, "breaker_failures"),
        ({"breaker_cooldown_seconds": -5}, "breaker_cooldown_seconds"),
        ({"max_workers": 100}, "max_workers"),
        ({"burst_per_second": -1}, "burst_per_second"),
        ({"allowed_hosts": 5}, "allowed_hosts"),
        ({"allowed_hosts": ["ok", ""]}, "allowed_hosts"),
        ({"rpm": float("nan")}, "rpm"),
        ({"budget_key": "  "}, "budget_key"),
        ({"budget_key": 7}, "budget_key"),
    ],
    ids=[
        "rpm-zero",
        "rpm-text",
        "share-zero",
        "share-above-one",
        "share-bool",
        "page-limit-too-big",
        "page-limit-fraction",
        "connect-timeout-zero",
        "read-timeout-text",
        "attempts-negative",
        "wait-cap-zero",
        "breaker-zero",
        "cooldown-negative",
        "workers-too-many",
        "burst-negative",
        "hosts-not-list",
        "hosts-empty-name",
        "rpm-nan",
        "budget-key-blank",
        "budget-key-not-text",
    ],
)
def test_a_bad_extra_fails_fast_naming_the_connection_and_the_setting(extra, setting):
    with pytest.raises(FrontConfigError, match=f"'front_default'.*'{setting}'"):
        HookSettings.from_connection(conn(extra), "front_default")


def test_the_budget_key_defaults_to_a_hash_of_base_url_and_token_never_the_token():
    key = HookSettings.from_connection(conn(password="tok-123456"), "c").budget_key
    assert "tok-123456" not in key and key == HookSettings.from_connection(conn(password="tok-123456"), "d").budget_key
    assert key != HookSettings.from_connection(conn(password="tok-654321"), "c").budget_key
    assert key != HookSettings.from_connection(conn(host="https://other.frontapp.com"), "c").budget_key


def test_connections_of_one_company_share_a_budget_through_the_budget_key_extra():
    one = HookSettings.from_connection(conn({"budget_key": " acme "}, password="tok-1"), "a")
    two = HookSettings.from_connection(conn({"budget_key": "acme"}, password="tok-2"), "b")
    assert one.budget_key == two.budget_key == "acme"


def test_share_of_exactly_one_and_burst_zero_are_allowed():
    s = HookSettings.from_connection(conn({"share": 1, "burst_per_second": 0}), "c")
    assert (s.share, s.burst_per_second) == (1.0, 0.0)


def test_a_missing_token_fails_at_once_without_retry():
    with pytest.raises(FrontAuthError, match="password"):
        HookSettings.from_connection(conn(password=""), "front_default")


@pytest.mark.parametrize(
    ("host", "schema", "port", "base"),
    [
        ("", None, None, "https://api2.frontapp.com"),
        ("api2.frontapp.com", None, None, "https://api2.frontapp.com"),
        ("localhost", "http", 8765, "http://localhost:8765"),
        ("http://127.0.0.1:9/", None, None, "http://127.0.0.1:9"),
    ],
    ids=["default", "bare-host", "bare-host-schema-port", "url"],
)
def test_base_url_from_host_schema_and_port(host, schema, port, base):
    assert HookSettings.from_connection(conn(host=host, schema=schema, port=port), "c").base_url == base


def test_a_base_url_with_user_info_is_refused():
    with pytest.raises(FrontConfigError, match="host"):
        HookSettings.from_connection(conn(host="https://user@api2.frontapp.com"), "c")


def test_an_unknown_extra_is_named_in_a_warning(caplog):
    with caplog.at_level(logging.WARNING):
        HookSettings.from_connection(conn({"read_timout": 3}), "front_default")
    assert "read_timout" in caplog.text


def test_one_list_of_extras_drives_the_settings_and_the_ui_form():
    from front_sync.hooks.extras import EXTRAS
    from front_sync.provider_info import get_provider_info

    names = [extra.name for extra in EXTRAS]
    assert {f.name for f in fields(HookSettings)} == {"conn_id", "token", "client_id", "base_url", *names}
    form = get_provider_info()["connection-types"][0]["conn-fields"]
    assert list(form) == names
    page = form["page_limit"]
    assert page["schema"] == {"type": ["integer", "null"], "default": 100}
    assert "an integer from 1 to 100" in page["description"]  # the bounds the parser enforces
    assert "> 0 and <= 1" in form["share"]["description"] and "default" not in form["allowed_hosts"]["schema"]


def test_every_default_in_the_list_passes_its_own_check():
    from front_sync.hooks.extras import EXTRAS

    defaults = {e.name: e.default for e in EXTRAS if e.default is not None}
    s = HookSettings.from_connection(conn(defaults), "c")
    assert all(getattr(s, name) == value for name, value in defaults.items())
