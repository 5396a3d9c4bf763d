"""Fixtures for the simulator tests: one server per session, reset to a known state before each test."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from front_simulator.control import SimulatorControl
from front_simulator.server import SimulatorServer

TOKEN = "test-token"
SEED = 7
SIZES: dict[str, Any] = {
    "contacts": 500,
    "conversations": 80,
    "tags": 15,
    "teammates": 8,
    "inboxes": 4,
    "channels": 8,
    "contact_lists": 4,
    "messages_per_conversation": 6,
    "max_messages_per_conversation": 160,
    "comments_per_conversation": 1.5,
}


class Api:
    """A plain ``requests`` client for the Front routes (Bearer token, no retries, no magic)."""

    def __init__(self, base_url: str, token: str):
        self.base_url = base_url
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {token}"

    def get(self, path_or_url: str, **kwargs: Any) -> requests.Response:
        url = path_or_url if path_or_url.startswith("http") else f"{self.base_url}{path_or_url}"
        kwargs.setdefault("timeout", 10)
        return self.session.get(url, **kwargs)

    def get_json(self, path_or_url: str, **kwargs: Any) -> Any:
        response = self.get(path_or_url, **kwargs)
        assert response.status_code == 200, (response.status_code, response.text[:300])
        return response.json()

    def pages(self, path: str, **kwargs: Any) -> list[dict[str, Any]]:
        """Follow ``_pagination.next`` exactly as given until it is null; returns every page body."""
        pages = [self.get_json(path, **kwargs)]
        while pages[-1].get("_pagination", {}).get("next"):
            assert len(pages) < 10_000, "pagination does not end"
            pages.append(self.get_json(pages[-1]["_pagination"]["next"]))
        return pages

    def all_results(self, path: str, **kwargs: Any) -> list[dict[str, Any]]:
        return [record for page in self.pages(path, **kwargs) for record in page["_results"]]


@pytest.fixture(scope="session")
def sim() -> Iterator[SimulatorServer]:
    with SimulatorServer(seed=SEED, sizes=SIZES, token=TOKEN, host="127.0.0.1", port=0) as server:
        yield server


@pytest.fixture(scope="session")
def control(sim: SimulatorServer) -> SimulatorControl:
    return SimulatorControl(sim.base_url)


@pytest.fixture(scope="session")
def make_api():
    """Build an ``Api`` client for any simulator server."""
    return lambda server: Api(server.base_url, server.token)


@pytest.fixture
def api(sim: SimulatorServer, control: SimulatorControl) -> Api:
    """A client against freshly reset data: seed SEED, sizes SIZES, no faults, rate limiting off."""
    control.set_rate_limit(None)
    control.reset(seed=SEED, sizes=SIZES)
    return Api(sim.base_url, sim.token)
