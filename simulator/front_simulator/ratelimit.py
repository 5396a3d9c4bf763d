"""Front's rate limiting, per company: a plan limit per window, a per-resource burst limit, search at 40 %.

- Plan limit: ``rpm`` requests per ``window_seconds`` (fixed window opened by the first request), reported
  on every response as ``x-ratelimit-limit/-remaining/-reset`` (reset = epoch seconds when the window
  ends). ``rpm=None`` turns enforcement off; the headers then report a nominal, never-reached limit.
- Burst limit: at most ``burst_per_second`` requests per resource (first path segment) in any sliding
  second; exceeding it returns 429 with ``x-front-tier`` while ``x-ratelimit-remaining`` is still > 0.
- Search (``/conversations/search``) may use at most ``search_share`` (40 %) of the plan limit per window.
"""

from __future__ import annotations

import math
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

NOMINAL_LIMIT = 1_000_000  # reported when enforcement is off, so clients never think they must slow down


@dataclass(slots=True)
class Decision:
    """The outcome for one request: headers to send and, when refused, why and for how long."""

    limit: int
    remaining: int
    reset: float
    refused: str | None = None  # "rate" | "burst" | "search"
    retry_after: float = 0.0
    tier: str | None = None


class RateLimiter:
    """Thread-safe limiter with an injectable clock (tests use small windows or a fake clock)."""

    def __init__(self, clock: Callable[[], float]):
        self.clock = clock
        self._lock = threading.Lock()
        self.rpm: int | None = None
        self.burst_per_second: float | None = None
        self.window_seconds = 60.0
        self.search_share = 0.4
        self._reset_counters()

    def _reset_counters(self) -> None:
        self._window_start: float | None = None
        self._used = 0
        self._search_used = 0
        self._burst: dict[str, deque[float]] = {}

    def configure(
        self,
        *,
        rpm: int | None,
        burst_per_second: float | None = 5.0,
        window_seconds: float = 60.0,
        search_share: float = 0.4,
    ) -> None:
        """Apply new settings and start a fresh window."""
        if rpm is not None and rpm < 1:
            raise ValueError("rpm must be >= 1 or null")
        if burst_per_second is not None and burst_per_second <= 0:
            raise ValueError("burst_per_second must be > 0 or null")
        if window_seconds <= 0:
            raise ValueError("window_seconds must be > 0")
        with self._lock:
            self.rpm = rpm
            self.burst_per_second = burst_per_second
            self.window_seconds = float(window_seconds)
            self.search_share = float(search_share)
            self._reset_counters()

    def settings(self) -> dict[str, object]:
        return {
            "rpm": self.rpm,
            "burst_per_second": self.burst_per_second,
            "window_seconds": self.window_seconds,
            "search_share": self.search_share,
        }

    def reset_counters(self) -> None:
        with self._lock:
            self._reset_counters()

    def check(self, resource: str, *, is_search: bool = False) -> Decision:
        """Count one request for ``resource`` (unless refused) and return the decision with header values."""
        with self._lock:
            now = self.clock()
            limit = self.rpm if self.rpm is not None else NOMINAL_LIMIT
            if self._window_start is None or now >= self._window_start + self.window_seconds:
                self._window_start = now
                self._used = 0
                self._search_used = 0
            reset = self._window_start + self.window_seconds
            remaining = max(limit - self._used, 0)
            if self.rpm is None:
                self._used += 1
                return Decision(limit, max(limit - self._used, 0), reset)
            if remaining <= 0:
                return Decision(limit, 0, reset, "rate", _wait(reset - now))
            if is_search:
                search_limit = max(1, math.floor(limit * self.search_share))
                if self._search_used >= search_limit:
                    return Decision(limit, remaining, reset, "search", _wait(reset - now), "search")
            if self.burst_per_second is not None:
                stamps = self._burst.setdefault(resource, deque())
                while stamps and stamps[0] <= now - 1.0:
                    stamps.popleft()
                if len(stamps) >= self.burst_per_second:
                    return Decision(limit, remaining, reset, "burst", _wait(stamps[0] + 1.0 - now), "tier-2")
                stamps.append(now)
            self._used += 1
            if is_search:
                self._search_used += 1
            return Decision(limit, max(limit - self._used, 0), reset)


def _wait(seconds: float) -> float:
    """Retry-After value: fractional seconds (3 decimals), never zero."""
    return max(round(seconds, 3), 0.001)
