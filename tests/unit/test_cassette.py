"""The cassette adapter without a network: stable fakes, matching on method + path + query (window bounds by
name), replay in recorded order per request from many threads, and a loud failure on anything unrecorded."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from front_sync.hooks import cassette


def test_fakes_are_stable_shaped_and_keyed_by_the_token():
    one, other = cassette.Scrubber("tok-1"), cassette.Scrubber("tok-2")
    record = {
        "name": "Ann Lee",
        "handle": "Ann@Example.com",
        "id": "crd_1",
        "updated_at": 1.5,
        "body": "<p>hi ann@example.com, tok-1</p>",
        "links": ["https://x.io/?u=ann@example.com"],
    }
    scrubbed = one.scrub(record)
    assert scrubbed["id"] == "crd_1" and scrubbed["updated_at"] == 1.5
    assert scrubbed["name"].startswith("name-") and scrubbed["body"].startswith("body-")
    assert scrubbed["handle"].endswith("@example.invalid")
    assert one.scrub({"handle": "ann@example.com"})["handle"] == scrubbed["handle"]  # case-folded, stable
    assert scrubbed["links"][0] == f"https://x.io/?u={scrubbed['handle']}"
    assert other.scrub(record)["name"] != scrubbed["name"]
    assert "tok-1" not in json.dumps(scrubbed) and "<token>" in one.text("a tok-1 b")


def test_window_bounds_match_by_name_and_everything_else_by_value():
    key = cassette.request_key
    assert key("GET", "http://a/events?q[after]=1&limit=15") == key("get", "https://b:9/events?limit=15&q[after]=7")
    assert key("GET", "http://a/contacts?page_token=x") != key("GET", "http://a/contacts?page_token=y")
    assert key("GET", "http://a/contacts") != key("GET", "http://a/contacts?q[after]=1")


def write(path, entries):
    path.write_text(
        "".join(
            json.dumps(
                {
                    "key": json.loads(cassette.request_key("GET", url)),
                    "status": status,
                    "headers": {"content-type": "application/json"},
                    "json": body,
                }
            )
            + "\n"
            for url, status, body in entries
        )
    )


def test_replay_serves_in_recorded_order_per_request_from_any_thread(tmp_path, monkeypatch):
    path = tmp_path / "c.jsonl"
    write(
        path,
        [("http://h/events?limit=15", 200, {"n": 1}), ("http://h/events?limit=15", 200, {"n": 2})]
        + [(f"http://h/conversations/cnv_{i}/messages", 200, {"i": i}) for i in range(40)],
    )
    monkeypatch.setenv(cassette.ENV_SWITCH, f"replay:{path}")
    cassette.forget_replays()

    def get(i):
        with cassette.session() as session:
            return session.get(f"http://elsewhere/conversations/cnv_{i}/messages").json()["i"]

    with ThreadPoolExecutor(8) as pool:
        assert sorted(pool.map(get, reversed(range(40)))) == list(range(40))
    with cassette.session() as session:
        assert [session.get("http://x/events?limit=15").json()["n"] for _ in range(2)] == [1, 2]
        with pytest.raises(cassette.CassetteMiss, match="not in the cassette"):
            session.get("http://x/events?limit=15")


def test_the_switch_is_checked(monkeypatch, tmp_path):
    monkeypatch.delenv(cassette.ENV_SWITCH, raising=False)
    assert type(cassette.session().get_adapter("https://api2.frontapp.com")) is requests.adapters.HTTPAdapter
    monkeypatch.setenv(cassette.ENV_SWITCH, "playback:x")
    with pytest.raises(cassette.FrontConfigError, match="record:<file> or replay:<file>"):
        cassette.session()
    monkeypatch.setenv(cassette.ENV_SWITCH, f"replay:{tmp_path / 'missing.jsonl'}")
    with pytest.raises(cassette.FrontConfigError, match="no cassette"):
        cassette.session()
