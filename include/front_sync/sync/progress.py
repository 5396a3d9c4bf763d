"""Progress lines for long task logs: pages, records, rate, API calls, quota, and percent done where known."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

log = logging.getLogger(__name__)


@dataclass
class Progress:
    """Counts a task's work and logs a line at most every `every_seconds` (and always on `final`)."""

    name: str
    front: object
    total: int | None = None
    every_seconds: float = 10.0
    pages: int = 0
    records: int = 0
    started: float = field(default_factory=time.monotonic)
    _last: float = 0.0

    def add(self, *, pages: int, records: int) -> None:
        """Count pages and the records they held (both required: a caller that counted no pages would log
        "0 pages, 1 records"); logs a line when `every_seconds` have passed since the last one."""
        self.pages += pages
        self.records += records
        now = time.monotonic()
        if now - self._last >= self.every_seconds:
            self._last = now
            self.report()

    def report(self, final: bool = False) -> None:
        elapsed = max(time.monotonic() - self.started, 1e-6)
        metrics = getattr(self.front, "metrics", None)
        calls = getattr(metrics, "calls", 0)
        quota = getattr(metrics, "quota_remaining", None)
        done = f", {100 * self.records / self.total:.0f}% of {self.total}" if self.total else ""
        log.info(
            "%s%s: %s, %s (%.0f/s), %s%s%s",
            self.name,
            " done" if final else "",
            _count(self.pages, "page"),
            _count(self.records, "record"),
            self.records / elapsed,
            _count(calls, "API call"),
            f", quota remaining {quota}" if quota is not None else "",
            done,
        )


def _count(n: int, noun: str) -> str:
    """`1 page`, `2 pages`."""
    return f"{n} {noun}{'' if n == 1 else 's'}"
