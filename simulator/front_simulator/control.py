"""A small requests-based client for the simulator's control API (``/_simulator``), for tests and the demo.

control = SimulatorControl("http://127.0.0.1:8765")
control.reset(seed=1, sizes={"contacts": 1000})
changed = control.mutate("update_contacts", count=50)["ids"]
contacts = control.truth("contacts")["_results"]
"""

from __future__ import annotations

from typing import Any

import requests

from front_simulator import CONTROL_PREFIX


class SimulatorControlError(RuntimeError):
    """The control API refused a request (its ``_error`` message is included)."""


class SimulatorControl:
    """Drive a running simulator: reset, mutate, faults, rate limit, statistics, ground truth."""

    def __init__(self, base_url: str, timeout: float = 60.0, session: requests.Session | None = None):
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.session = session or requests.Session()

    def _call(self, method: str, path: str, payload: Any = None) -> Any:
        response = self.session.request(
            method, f"{self.base_url}{CONTROL_PREFIX}{path}", json=payload, timeout=self.timeout
        )
        if response.status_code >= 400:
            try:
                detail = response.json()["_error"].get("message")
            except (ValueError, KeyError, TypeError):
                detail = response.text[:200]
            raise SimulatorControlError(f"{method} {path}: {response.status_code} {detail}")
        return response.json()

    def reset(self, seed: int = 1, sizes: dict[str, Any] | None = None) -> dict[str, Any]:
        """Regenerate the data for ``seed``/``sizes``; also clears faults, statistics and rate counters."""
        return self._call("POST", "/reset", {"seed": seed, "sizes": sizes or {}})

    def mutate(self, action: str, count: int = 1, **params: Any) -> dict[str, Any]:
        """Apply a mutation (see README "Mutations"); returns ``{"ids": [...], "events": [...], ...}``."""
        return self._call("POST", "/mutate", {"action": action, "count": count, **params})

    def truth(self, resource: str, viewer: str | None = None) -> dict[str, Any]:
        """``{"_results": [...]}``: every current record of ``resource`` exactly as the API renders it (as an
        OAuth access token sees it with ``viewer="oauth"``: no private inboxes)."""
        return self._call("GET", f"/truth/{resource}" + (f"?viewer={viewer}" if viewer else ""))

    def stats(self) -> dict[str, Any]:
        return self._call("GET", "/stats")

    def reset_stats(self) -> None:
        self._call("POST", "/stats/reset")

    def set_faults(self, faults: list[dict[str, Any]], append: bool = False) -> list[dict[str, Any]]:
        return self._call("PUT", "/faults", {"faults": faults, "append": append})["faults"]

    def faults(self) -> list[dict[str, Any]]:
        return self._call("GET", "/faults")["faults"]

    def expire_page_tokens(self) -> None:
        """Every page token handed out so far answers 400 from now on (the data stays)."""
        self._call("POST", "/expire_page_tokens")

    def clear_faults(self) -> None:
        self._call("DELETE", "/faults")

    def set_rate_limit(
        self,
        rpm: int | None,
        burst_per_second: float | None = 5.0,
        window_seconds: float = 60.0,
        search_share: float = 0.4,
    ) -> dict[str, Any]:
        """``rpm=None`` turns rate limiting off; ``burst_per_second=None`` turns the burst limit off."""
        return self._call(
            "PUT",
            "/rate_limit",
            {
                "rpm": rpm,
                "burst_per_second": burst_per_second,
                "window_seconds": window_seconds,
                "search_share": search_share,
            },
        )

    def set_schema_drift(self, resource: str, add: dict[str, Any] | None = None,
                         drop: list[str] | None = None) -> dict[str, Any]:
        """Serve `resource`'s records with fields added (path -> value) and dropped (paths); see schema_drift.py."""
        return self._call("PUT", "/schema", {"resource": resource, "add": add or {}, "drop": drop or []})["drift"]

    def clear_schema_drift(self) -> None:
        self._call("DELETE", "/schema")

    def config(self) -> dict[str, Any]:
        return self._call("GET", "/config")
