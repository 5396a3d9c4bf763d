"""The API budget: one pacer per Front company, its state in a store every task, thread and worker reaches.

Front's limit is per company and shared with every other integration, so all our requests together pace
themselves to ``plan rpm x share`` and also:
- keep each resource type under Front's per-resource burst limit (about 5 requests per second), which
  answers 429 even while plan quota remains;
- keep search under its own share (40 % of the budget: Front allows search 40 % of the plan), on top of
  counting towards the company pace;
- read ``x-ratelimit-remaining``/``-reset`` on every response and slow down (or hold until the reset)
  when the company quota runs low because others spend it too, instead of running into a 429;
- hold everyone after a 429 on the plan limit; after a burst 429 hold that resource (or search) only for
  Front's exact Retry-After (a burst window clears in milliseconds), while the refused request waits >= 1 s.

Requests reserve evenly spaced slots (a token bucket of capacity 1: saving tokens up would only produce the
bursts Front punishes) in *lanes*: the company pace, each resource's burst spacing, search. The lanes live in
a ``BudgetStore`` keyed by the company's budget key: ``MemoryBudgetStore`` for one process (unit tests,
scripts), ``warehouse.budget_store.PostgresBudgetStore`` for every worker of a deployment. Clock and sleep
are injectable, so tests never wait.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from front_sync.hooks.policy import seconds_until_reset

log = logging.getLogger(__name__)

BURST_HEADROOM = 1.05  # same-resource requests 5 % wider apart than the burst limit: a request sent late (a busy
# worker, a slow connect) must not bring the next five inside one second at Front
QUOTA_RESERVE = 0  # hold until the reset once the company quota reads this low
SEARCH_SHARE = 0.4  # Front allows search 40 % of the plan: it gets 40 % of our budget
# After a sleep at least this long, look again for a hold that began meanwhile (a store round trip); a hold that
# begins during a shorter sleep costs at most one more 429, which the request loop waits out.
RECHECK_AFTER = 0.05
PACE_LANE = "pace"  # the company pace; also carries the plan-wide holds and the quota reading
SEARCH_LANE = "search"
_INF = float("inf")


def burst_lane(resource: str) -> str:
    """The lane of one resource type's burst spacing and burst holds."""
    return f"burst:{resource}"


@dataclass(frozen=True)
class Slot:
    """How long a request waited for its turn, and whether Front's limit (not our own pace) held it."""

    waited: float
    held: bool


class BudgetStore(Protocol):
    """Where the lanes of every budget key live; each call is atomic across everyone sharing the store.

    Times are the store's own clock (the database's for PostgreSQL, so worker clock skew does not matter);
    only durations in seconds cross this interface.
    """

    def reserve(self, key: str, lanes: Sequence[tuple[str, float]], delay: float) -> tuple[float, bool]:
        """Take the next slot in every ``(lane, spacing)``: not before each lane's last slot + its spacing
        (the pace lane's widened by a live quota reading), any lane's hold, or ``delay`` from now; record it
        as each lane's last slot. Returns (seconds until the slot, whether a hold or ``delay`` set it)."""

    def hold_left(self, key: str, lanes: Sequence[str]) -> float:
        """Seconds until the latest hold on ``lanes`` ends (<= 0: none)."""

    def hold(self, key: str, lane: str, seconds: float) -> bool:
        """Nobody in ``lane`` sends for ``seconds`` from now; True when this moved the hold later."""

    def set_quota(self, key: str, lane: str, spacing: float, seconds: float) -> None:
        """Space ``lane``'s requests at least ``spacing`` apart for the next ``seconds`` (a quota reading)."""


class MemoryBudgetStore:
    """The lanes in this process's memory, on an injectable monotonic clock; thread-safe."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._last_slot: dict[tuple[str, str], float] = {}
        self._hold_until: dict[tuple[str, str], float] = {}
        self._quota: dict[tuple[str, str], tuple[float, float]] = {}  # (spacing, until)

    def reserve(self, key: str, lanes: Sequence[tuple[str, float]], delay: float) -> tuple[float, bool]:
        with self._lock:
            now = self._clock()
            forced = max([now + delay, *(self._hold_until.get((key, lane), -_INF) for lane, _ in lanes)])
            slot = max(
                [
                    now,
                    forced,
                    *(self._last_slot.get((key, lane), -_INF) + self._spacing(key, lane, s, now) for lane, s in lanes),
                ]
            )
            for lane, _ in lanes:
                self._last_slot[(key, lane)] = slot
            return slot - now, forced > now and slot == forced

    def _spacing(self, key: str, lane: str, spacing: float, now: float) -> float:
        quota_spacing, until = self._quota.get((key, lane), (0.0, -_INF))
        return max(spacing, quota_spacing) if now < until else spacing

    def hold_left(self, key: str, lanes: Sequence[str]) -> float:
        with self._lock:
            return max(self._hold_until.get((key, lane), -_INF) for lane in lanes) - self._clock()

    def hold(self, key: str, lane: str, seconds: float) -> bool:
        with self._lock:
            until = self._clock() + seconds
            if until <= self._hold_until.get((key, lane), -_INF):
                return False
            self._hold_until[(key, lane)] = until
            return True

    def set_quota(self, key: str, lane: str, spacing: float, seconds: float) -> None:
        with self._lock:
            self._quota[(key, lane)] = (spacing, self._clock() + seconds)


class RateBudget:
    """Pacer of one Front company: ``acquire`` before each request, ``observe`` after each response.

    Every RateBudget with the same ``key`` on the same store (threads, tasks, worker processes with the
    PostgreSQL store) draws from one bucket, so together they spend ``requests_per_minute``.

    Args:
        requests_per_minute: the company budget of this deployment (plan rpm x share).
        burst_per_second: Front's per-resource burst limit; 0 turns the per-resource spacing off.
        clock: monotonic seconds (the in-memory store's time). sleep: blocks for seconds.
        wall_clock: epoch seconds (for x-ratelimit-reset).
        store: where the lanes live; None: a new in-memory store (this budget alone).
        key: the budget key (one per Front company; never the token).
    """

    def __init__(
        self,
        requests_per_minute: float,
        burst_per_second: float,
        *,
        clock: Callable[[], float],
        sleep: Callable[[float], None],
        wall_clock: Callable[[], float],
        store: BudgetStore | None = None,
        key: str = "default",
    ) -> None:
        self.interval = 60.0 / requests_per_minute
        self.search_interval = self.interval / SEARCH_SHARE
        self.resource_interval = BURST_HEADROOM / burst_per_second if burst_per_second else 0.0
        self.store: BudgetStore = store if store is not None else MemoryBudgetStore(clock)
        self.key = key
        self._sleep = sleep
        self._wall_clock = wall_clock
        self._quota_binds = False  # whether our latest quota reading slowed the pace (then the next one is written)

    def _lanes(self, resource: str, search: bool) -> list[tuple[str, float]]:
        lanes = [(PACE_LANE, self.interval), (burst_lane(resource), self.resource_interval)]
        if search:
            lanes.append((SEARCH_LANE, self.search_interval))
        return lanes

    def acquire(self, resource: str, delay: float = 0.0, *, search: bool = False) -> Slot:
        """Block until this request may go: the company pace, the resource's burst spacing, the search share
        (``search``) and any hold all allow it.

        ``delay`` is this request's own wait (its Retry-After after a 429): it waits at least that long, and
        the wait counts as Front holding it, like a hold.
        """
        lanes = self._lanes(resource, search)
        names = [lane for lane, _ in lanes]
        waited = 0.0
        held = False
        while True:
            wait, forced = self.store.reserve(self.key, lanes, delay)
            held = held or forced
            if wait <= 0:  # no time passed, so no hold can have started since the reservation saw them all
                return Slot(waited, held)
            self._sleep(wait)
            waited += wait
            # A 429 or an exhausted quota seen by another thread or worker while we slept: queue again behind it.
            if wait < RECHECK_AFTER or self.store.hold_left(self.key, names) <= 0:
                return Slot(waited, held)
            held = True
            delay = 0.0  # the slot we slept to was at least our own delay away

    def hold(self, seconds: float, resource: str | None = None, *, search: bool = False) -> None:
        """After a 429: nobody sends for ``seconds`` (plan limit), no request to ``resource`` (burst), or no
        search request (``search``: search's own limit, which must not stall the rest of its resource)."""
        lane = SEARCH_LANE if search else (burst_lane(resource) if resource is not None else PACE_LANE)
        self.store.hold(self.key, lane, seconds)

    def observe(self, limit: int | None, remaining: int | None, reset: str | None) -> None:
        """Read the company quota from a response: spread what remains over the time to the reset."""
        if remaining is None:
            return
        until_reset = seconds_until_reset(reset, self._wall_clock())
        if until_reset is None:
            return
        if remaining <= QUOTA_RESERVE:
            if self.store.hold(self.key, PACE_LANE, until_reset):
                log.info(
                    "Front quota exhausted (limit %s, remaining %s): holding requests %.1f s until the reset",
                    limit,
                    remaining,
                    until_reset,
                )
            return
        spacing = until_reset / remaining
        binds = spacing > self.interval
        # A reading that does not slow the pace is written only to replace one that did: most responses (plenty
        # of quota left) then cost no store write.
        if binds or self._quota_binds:
            self.store.set_quota(self.key, PACE_LANE, spacing, until_reset)
        self._quota_binds = binds
