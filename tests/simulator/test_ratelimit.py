"""Per-company rate limiting: Front's headers on every response, 429s at the rpm, burst and search limits."""

from __future__ import annotations

import math
import time

import pytest
import requests

from front_simulator.control import SimulatorControl
from front_simulator.server import SimulatorServer

from .support import FakeTime


@pytest.fixture(scope="module")
def clocked():
    clock = FakeTime()
    with SimulatorServer(seed=2, sizes={"contacts": 30, "conversations": 10}, port=0, clock=clock) as server:
        yield server, clock


@pytest.fixture
def limited(clocked, make_api):
    server, clock = clocked
    control = SimulatorControl(server.base_url)
    control.reset(seed=2, sizes={"contacts": 30, "conversations": 10})
    return make_api(server), control, clock


def headers_of(response):
    return (
        int(response.headers["x-ratelimit-limit"]),
        int(response.headers["x-ratelimit-remaining"]),
        int(response.headers["x-ratelimit-reset"]),
    )


def test_headers_on_every_response_even_when_off(limited):
    api, control, clock = limited
    control.set_rate_limit(None)
    seen = [api.get(path) for path in ("/me", "/contacts", "/tags", "/conversations/cnv_nope", "/nowhere")]
    assert [r.status_code for r in seen] == [200, 200, 200, 404, 404]
    remaining = [headers_of(r)[1] for r in seen]
    assert remaining == sorted(remaining, reverse=True) and len(set(remaining)) == 5
    assert all(headers_of(r)[0] >= 1_000_000 for r in seen)


def test_429_at_the_configured_rpm_then_reset(limited):
    api, control, clock = limited
    control.set_rate_limit(rpm=5, burst_per_second=None)
    responses = [api.get("/contacts") for _ in range(5)]
    assert [r.status_code for r in responses] == [200] * 5
    assert [headers_of(r)[1] for r in responses] == [4, 3, 2, 1, 0]
    assert headers_of(responses[0])[2] == math.ceil(clock.now + 60)
    clock.advance(20.5)
    refused = api.get("/contacts")
    assert refused.status_code == 429
    assert headers_of(refused)[:2] == (5, 0) and "x-front-tier" not in refused.headers
    assert float(refused.headers["retry-after"]) == pytest.approx(39.5, abs=0.01)
    assert refused.json()["_error"]["status"] == 429 and refused.json()["_error"]["title"] == "Too many requests"
    clock.advance(39.5)
    again = api.get("/contacts")
    assert again.status_code == 200 and headers_of(again)[1] == 4
    stats = control.stats()["endpoints"]["/contacts"]
    assert stats["429s"] == 1 and stats["rate_limited"] == 1 and stats["calls"] == 7


def test_burst_limit_429_while_remaining_is_positive(limited):
    api, control, clock = limited
    control.set_rate_limit(rpm=100, burst_per_second=5)
    assert [api.get("/contacts").status_code for _ in range(5)] == [200] * 5
    burst = api.get("/contacts")
    assert burst.status_code == 429 and headers_of(burst)[1] > 0
    assert burst.headers["x-front-tier"] and 0 < float(burst.headers["retry-after"]) <= 1
    assert api.get("/tags").status_code == 200  # another resource has its own burst budget
    clock.advance(1.0)
    assert api.get("/contacts").status_code == 200
    assert control.stats()["endpoints"]["/contacts"]["burst_limited"] == 1


def test_search_limited_to_40_percent_of_the_budget(limited):
    api, control, clock = limited
    control.set_rate_limit(rpm=10, burst_per_second=None)
    statuses = [api.get("/conversations/search/is%3Aopen").status_code for _ in range(5)]
    assert statuses == [200, 200, 200, 200, 429]
    refused = api.get("/conversations/search/is%3Aopen")
    assert headers_of(refused)[1] > 0 and refused.headers["x-front-tier"] == "search"
    assert api.get("/contacts").status_code == 200


def test_control_api_is_never_limited(limited):
    api, control, clock = limited
    control.set_rate_limit(rpm=1, burst_per_second=None)
    api.get("/me")
    assert api.get("/me").status_code == 429
    for _ in range(5):
        control.stats()
    assert requests.get(f"{control.base_url}/_simulator/stats", timeout=5).status_code == 200


def test_real_clock_small_window_over_http(api, control):
    control.set_rate_limit(rpm=3, burst_per_second=None, window_seconds=0.4)
    assert [api.get("/me").status_code for _ in range(3)] == [200, 200, 200]
    refused = api.get("/me")
    assert refused.status_code == 429
    wait = float(refused.headers["retry-after"])
    assert 0 < wait <= 0.4
    time.sleep(wait + 0.01)
    assert api.get("/me").status_code == 200
