"""Per-endpoint request statistics: calls, statuses, 429s and faults served (for tests and the demo)."""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any


class Stats:
    """Counters keyed by endpoint template (``/conversations/{id}/messages``); thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._endpoints: dict[str, dict[str, Any]] = {}

    def _entry(self, endpoint: str) -> dict[str, Any]:
        entry = self._endpoints.get(endpoint)
        if entry is None:
            entry = {
                "calls": 0,
                "statuses": Counter(),
                "rate_limited": 0,
                "burst_limited": 0,
                "faults": Counter(),
            }
            self._endpoints[endpoint] = entry
        return entry

    def record(self, endpoint: str, status: int, *, limited: str | None = None, fault: str | None = None) -> None:
        """Count one response; ``limited`` is "rate" or "burst" for 429s from the limiter."""
        with self._lock:
            entry = self._entry(endpoint)
            entry["calls"] += 1
            entry["statuses"][status] += 1
            if limited == "rate":
                entry["rate_limited"] += 1
            elif limited == "burst":
                entry["burst_limited"] += 1
            if fault:
                entry["faults"][fault] += 1

    def snapshot(self) -> dict[str, Any]:
        """JSON-ready copy: per endpoint and totals; ``429s`` counts every 429 (limiter or fault)."""
        with self._lock:
            endpoints = {}
            totals: dict[str, Any] = {
                "calls": 0,
                "429s": 0,
                "rate_limited": 0,
                "burst_limited": 0,
                "faults_served": 0,
            }
            for name, entry in sorted(self._endpoints.items()):
                faults = dict(entry["faults"])
                out = {
                    "calls": entry["calls"],
                    "statuses": {str(k): v for k, v in sorted(entry["statuses"].items())},
                    "429s": entry["statuses"].get(429, 0),
                    "rate_limited": entry["rate_limited"],
                    "burst_limited": entry["burst_limited"],
                    "faults_served": sum(faults.values()),
                    "faults": faults,
                }
                endpoints[name] = out
                for key in ("calls", "429s", "rate_limited", "burst_limited", "faults_served"):
                    totals[key] += out[key]
            return {"endpoints": endpoints, "totals": totals}

    def reset(self) -> None:
        with self._lock:
            self._endpoints.clear()
