"""Shared by the hook's unit tests: a fake clock, so backoffs, 429 waits and pacing never really wait."""

from __future__ import annotations

import threading

import pytest


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


@pytest.fixture
def fake_time() -> FakeTime:
    """A fresh FakeTime at monotonic 100 s (wall: FakeTime.WALL + 100)."""
    return FakeTime()
