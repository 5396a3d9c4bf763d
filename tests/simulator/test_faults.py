"""Fault injection, each kind observed by a plain HTTP client: errors, 429 storms, latency, hangs, resets,
truncated JSON, bad records, duplicates across pages and records updated while paging."""

from __future__ import annotations

import time

import pytest
import requests

from front_simulator.control import SimulatorControlError


def ids(records):
    return [r["id"] for r in records]


@pytest.mark.parametrize("status", [500, 502, 503, 504], ids=lambda s: f"http-{s}")
def test_server_errors_with_front_error_body(api, control, status):
    control.set_faults([{"endpoint": "/contacts", "kind": "status", "status": status}])
    response = api.get("/contacts")
    assert response.status_code == status
    assert response.json()["_error"]["status"] == status
    assert "x-ratelimit-remaining" in response.headers
    assert api.get("/tags").status_code == 200  # scoped to its endpoint
    assert control.stats()["endpoints"]["/contacts"]["faults"] == {f"status_{status}": 1}


def test_proxy_html_502(api, control):
    control.set_faults([{"kind": "status", "status": 502, "body": "html"}])
    response = api.get("/me")
    assert response.status_code == 502 and response.headers["content-type"].startswith("text/html")
    with pytest.raises(ValueError):
        response.json()


def test_fail_the_third_page_then_retry_succeeds(api, control):
    control.set_faults([{"endpoint": "/contacts", "kind": "status", "status": 500, "on_calls": [3]}])
    url, statuses, records = "/contacts?limit=100", [], []
    while url:
        response = api.get(url)
        statuses.append(response.status_code)
        if response.status_code == 500:
            continue  # retry the same URL
        records.extend(response.json()["_results"])
        url = response.json()["_pagination"]["next"]
    assert statuses == [200, 200, 500, 200, 200, 200]
    assert len(records) == 500 == len(set(ids(records)))
    assert control.faults()[0]["fired"] == 1


def test_probability_is_seeded_and_repeatable(api, control):
    def run():
        control.set_faults([{"endpoint": "/me", "kind": "status", "status": 503, "probability": 0.5}])
        return [api.get("/me").status_code for _ in range(40)]

    first = run()
    assert 8 < first.count(503) < 32 and first == run()


def test_global_rule_hits_every_endpoint_and_clear_restores(api, control):
    control.set_faults([{"kind": "status", "status": 503}])
    assert {api.get(p).status_code for p in ("/me", "/tags", "/contacts", "/events")} == {503}
    control.clear_faults()
    assert {api.get(p).status_code for p in ("/me", "/tags", "/contacts", "/events")} == {200}


def test_429_storm_for_a_duration(api, control):
    control.set_faults(
        [
            {
                "endpoint": "/contacts",
                "kind": "rate_limit",
                "retry_after": 0.25,
                "on_calls": [2],
                "duration_seconds": 0.4,
            }
        ]
    )
    assert api.get("/contacts").status_code == 200
    storm = [api.get("/contacts") for _ in range(3)]
    assert [r.status_code for r in storm] == [429, 429, 429]
    assert storm[0].headers["retry-after"] == "0.25" and storm[0].headers["x-ratelimit-remaining"] == "0"
    assert storm[0].json()["_error"]["status"] == 429
    time.sleep(0.45)
    assert api.get("/contacts").status_code == 200
    assert control.stats()["endpoints"]["/contacts"]["429s"] == 3


def test_injected_burst_429_with_remaining_and_tier(api, control):
    control.set_faults([{"kind": "rate_limit", "remaining": 42, "retry_after": 0.341}])
    response = api.get("/tags")
    assert response.status_code == 429 and response.headers["x-ratelimit-remaining"] == "42"
    assert response.headers["x-front-tier"] and "341 milliseconds" in response.json()["_error"]["message"]


@pytest.mark.parametrize(
    "spec",
    [
        {"seconds": 0.3},
        {"distribution": {"type": "uniform", "low": 0.3, "high": 0.35}},
        {"distribution": {"type": "fixed", "seconds": 0.3}},
    ],
    ids=["fixed-seconds", "uniform", "fixed-distribution"],
)
def test_latency(api, control, spec):
    control.set_faults([{"endpoint": "/me", "kind": "latency", **spec}])
    started = time.perf_counter()
    assert api.get("/me").status_code == 200
    assert time.perf_counter() - started >= 0.3


def test_hang_past_the_client_timeout(api, control):
    control.set_faults([{"endpoint": "/me", "kind": "hang", "seconds": 2, "times": 1}])
    with pytest.raises(requests.exceptions.ReadTimeout):
        api.get("/me", timeout=0.3)
    assert api.get("/tags").status_code == 200  # the hang blocks only its own request


def test_connection_reset(api, control):
    control.set_faults([{"endpoint": "/contacts", "kind": "reset", "times": 1}])
    with pytest.raises(requests.exceptions.ConnectionError):
        api.get("/contacts")
    assert api.get("/contacts").status_code == 200
    assert control.stats()["endpoints"]["/contacts"]["faults"] == {"reset": 1}


def test_truncated_json_body(api, control):
    full = api.get("/contacts?limit=20").content
    control.set_faults([{"endpoint": "/contacts", "kind": "truncate", "mode": "body"}])
    response = api.get("/contacts?limit=20")
    assert response.status_code == 200 and 0 < len(response.content) < len(full)
    with pytest.raises(ValueError):
        response.json()


def test_connection_closed_mid_body(api, control):
    control.set_faults([{"endpoint": "/contacts", "kind": "truncate", "mode": "connection"}])
    with pytest.raises((requests.exceptions.ChunkedEncodingError, requests.exceptions.ConnectionError)):
        api.get("/contacts?limit=50")


@pytest.mark.parametrize("variant", ["missing_id", "wrong_types", "nul_chars", "huge", "unknown_fields"])
def test_bad_records(api, control, variant):
    control.set_faults([{"endpoint": "/contacts", "kind": "bad_records", "variant": variant, "count": 2}])
    response = api.get("/contacts?limit=10")
    records = response.json()["_results"]
    assert len(records) == 10
    good = [
        r
        for r in records
        if isinstance(r.get("id"), str)
        and r["id"].startswith("crd_")
        and set(r)
        == {
            "_links",
            "id",
            "name",
            "description",
            "avatar_url",
            "links",
            "handles",
            "groups",
            "lists",
            "custom_fields",
            "is_private",
            "updated_at",
        }
        and "\x00" not in r["name"]
        and len(r.get("description") or "") < 1000
    ]
    assert len(good) == 8
    if variant == "huge":
        assert len(response.content) > 5_000_000
    if variant == "nul_chars":
        assert b"\\u0000" in response.content


def test_duplicates_across_pages(api, control):
    control.set_faults([{"endpoint": "/contacts", "kind": "duplicates", "count": 3}])
    pages = api.pages("/contacts", params={"limit": 100})
    records = [r for page in pages for r in page["_results"]]
    assert len(set(ids(records))) == 500 and len(pages) == 6
    assert len(records) == 500 + 3 * 5  # every page after the first repeats the last 3 of the page before
    assert ids(pages[1]["_results"][:3]) == ids(pages[0]["_results"][-3:])


def test_records_updated_while_paging(api, control):
    control.set_faults([{"endpoint": "/contacts", "kind": "mutate_during_paging", "count": 5}])
    started = max(c["updated_at"] for c in control.truth("contacts")["_results"])
    records = api.all_results("/contacts", params={"limit": 100, "sort_by": "updated_at", "sort_order": "asc"})
    assert len(records) > len(set(ids(records)))  # moved records show up again at the end
    moved = [r for r in records if r["updated_at"] > started]
    assert moved and control.faults()[0]["fired"] >= 5


@pytest.mark.parametrize(
    "spec",
    [
        {"kind": "explode"},
        {"kind": "status", "status": 200},
        {"kind": "latency"},
        {"kind": "status", "probability": 2},
        {"kind": "bad_records", "variant": "weird"},
        {"kind": "status", "colour": 1},
    ],
    ids=[
        "unknown-kind",
        "non-error-status",
        "latency-without-delay",
        "probability-above-1",
        "unknown-variant",
        "unknown-key",
    ],
)
def test_invalid_fault_specs_are_refused(control, spec):
    with pytest.raises(SimulatorControlError, match="400"):
        control.set_faults([spec])
