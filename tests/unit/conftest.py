"""Shared by the hook's unit tests: a fake clock, so backoffs, 429 waits and pacing never really wait."""

from __future__ import annotations

import pytest

from front_sync_testing.clock import FakeTime


@pytest.fixture
def fake_time() -> FakeTime:
    """A fresh FakeTime at monotonic 100 s (wall: FakeTime.WALL + 100)."""
    return FakeTime()
