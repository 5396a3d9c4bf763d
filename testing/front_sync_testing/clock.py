"""A fake monotonic clock for FrontHook (its injected clock and sleep): backoffs, 429 waits and pacing never
really wait, and a test reads exactly what the hook slept."""

from __future__ import annotations

import threading


class FakeTime:
    """A monotonic clock that only moves when someone sleeps on it (or a test advances ``now``)."""

    WALL = 1_764_000_000.0  # epoch seconds when the monotonic clock reads 0

    def __init__(self, start: float = 100.0) -> None:
        self.now = start
        self.sleeps: list[float] = []
        self._lock = threading.Lock()

    def monotonic(self) -> float:
        with self._lock:
            return self.now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.sleeps.append(seconds)
            self.now += seconds

    def wall(self) -> float:
        return self.WALL + self.now

    def waits(self, at_least: float = 0.5) -> list[float]:
        """Sleeps long enough to be backoffs or 429 waits, not pacing."""
        return [s for s in self.sleeps if s >= at_least]
