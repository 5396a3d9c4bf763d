"""What the simulator tests share: the data set every test starts from, a plain HTTP client, a fake clock."""

from __future__ import annotations

from typing import Any

import requests

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
    "accounts": 130,  # more than a page of 100
    "links": 12,
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


class FakeTime:
    """A wall clock that moves only when a test advances it.

    Pass it as ``SimulatorServer(clock=...)``: it is the time source of the rate limiter and of mutation
    timestamps, so windows, ``retry-after`` and ``x-ratelimit-reset`` become exact. (The hook's tests have
    their own, monotonic one: front_sync_testing.clock.)
    """

    def __init__(self, start: float = 1_800_000_000.25) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds
