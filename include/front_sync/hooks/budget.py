"""The API budget: one pacer per task, shared by its threads, so the task spends its share and no more.

Front's limit is per company and shared with every other integration, so a task paces itself to
``plan rpm x share`` and also:
- keeps each resource type under Front's per-resource burst limit (about 5 requests per second), which
  answers 429 even while plan quota remains;
- reads ``x-ratelimit-remaining``/``-reset`` on every response and slows down (or holds until the reset)
  when the company quota runs low because others spend it too, instead of running into a 429;
- holds everyone after a 429 on the plan limit; after a burst 429 holds that resource only for Front's
  exact Retry-After (a burst window clears in milliseconds), while the refused request itself waits >= 1 s.

Requests reserve evenly spaced slots (a token bucket of capacity 1: saving tokens up would only produce the
bursts Front punishes). Clock and sleep are injectable, so tests never wait.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

from front_sync.hooks.policy import seconds_until_reset

log = logging.getLogger(__name__)

BURST_HEADROOM = 1.02  # space same-resource requests 2 % wider than the burst limit: arrival jitter
QUOTA_RESERVE = 0  # hold until the reset once the company quota reads this low


@dataclass(frozen=True)
class Slot:
    """How long a request waited for its turn, and whether Front's limit (not our own pace) held it."""

    waited: float
    held: bool


class RateBudget:
    """Thread-safe pacer for one task: ``acquire`` before each request, ``observe`` after each response.

    Args:
        requests_per_minute: the task's budget (plan rpm x share).
        burst_per_second: Front's per-resource burst limit; 0 turns the per-resource spacing off.
        clock: monotonic seconds. sleep: blocks for seconds. wall_clock: epoch seconds (for x-ratelimit-reset).
    """

    def __init__(
        self,
        requests_per_minute: float,
        burst_per_second: float,
        *,
        clock: Callable[[], float],
        sleep: Callable[[float], None],
        wall_clock: Callable[[], float],
    ) -> None:
        self.interval = 60.0 / requests_per_minute
        self.resource_interval = BURST_HEADROOM / burst_per_second if burst_per_second else 0.0
        self._clock = clock
        self._sleep = sleep
        self._wall_clock = wall_clock
        self._lock = threading.Lock()
        self._last_slot = float("-inf")
        self._resource_next_free: dict[str, float] = {}
        self._hold_until = float("-inf")
        self._resource_hold_until: dict[str, float] = {}
        self._quota_interval = 0.0
        self._quota_until = float("-inf")

    def acquire(self, resource: str, delay: float = 0.0) -> Slot:
        """Block until this request may go: our pace, the resource's burst spacing and any hold all allow it.

        ``delay`` is this request's own wait (its Retry-After after a 429): it waits at least that long, and
        the wait counts as Front holding it, like a hold.
        """
        waited = 0.0
        held = False
        own_until = self._clock() + delay
        while True:
            with self._lock:
                now = self._clock()
                interval = self.interval
                if now < self._quota_until:  # the latest quota reading applies to the very next request
                    interval = max(interval, self._quota_interval)
                forced = max(self._hold_until, self._resource_hold_until.get(resource, float("-inf")), own_until)
                slot = max(now, self._last_slot + interval, self._resource_next_free.get(resource, float("-inf")),
                           forced)
                held = held or (forced > now and slot == forced)
                self._last_slot = slot
                self._resource_next_free[resource] = slot + self.resource_interval
            if slot > now:
                self._sleep(slot - now)
                waited += slot - now
            with self._lock:
                # A 429 or an exhausted quota seen by another thread while we slept: queue again behind it.
                hold = max(self._hold_until, self._resource_hold_until.get(resource, float("-inf")))
                if hold <= self._clock():
                    return Slot(waited, held)
                held = True

    def hold(self, seconds: float, resource: str | None = None) -> None:
        """After a 429: nobody sends for ``seconds`` (plan limit), or no request to ``resource`` (burst)."""
        with self._lock:
            until = self._clock() + seconds
            if resource is None:
                self._hold_until = max(self._hold_until, until)
            else:
                self._resource_hold_until[resource] = max(self._resource_hold_until.get(resource, until), until)

    def observe(self, limit: int | None, remaining: int | None, reset: str | None) -> None:
        """Read the company quota from a response: spread what remains over the time to the reset."""
        if remaining is None:
            return
        until_reset = seconds_until_reset(reset, self._wall_clock())
        if until_reset is None:
            return
        with self._lock:
            now = self._clock()
            if remaining <= QUOTA_RESERVE:
                if now + until_reset > self._hold_until:
                    log.info("Front quota exhausted (limit %s, remaining %s): holding requests %.1f s until "
                             "the reset", limit, remaining, until_reset)
                self._hold_until = max(self._hold_until, now + until_reset)
                return
            self._quota_interval = until_reset / remaining
            self._quota_until = now + until_reset
