"""A circuit breaker: after N consecutive failed requests, stop calling Front for a cool-down.

Closed: requests flow; each transient failure adds to a count that any answer from Front resets.
Open: every request fails at once with FrontLooksDownError, without touching the network.
Half-open (the cool-down is over): one probe request goes through; success closes, failure re-opens.
Shared by all threads of a hook, so a pool of workers stops together instead of hammering a down API.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from front_sync.hooks.errors import FrontLooksDownError

log = logging.getLogger(__name__)


class CircuitBreaker:
    """Counts consecutive transient failures; ``before_call`` raises while the circuit is open."""

    def __init__(self, failures: int, cooldown_seconds: float, clock: Callable[[], float]) -> None:
        self.threshold = failures
        self.cooldown = cooldown_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._failures = 0
        self._open_until: float | None = None
        self._probing = False
        self._last_cause = ""
        self.times_opened = 0

    @property
    def state(self) -> str:
        with self._lock:
            if self._open_until is None:
                return "closed"
            return "half-open" if self._probing or self._clock() >= self._open_until else "open"

    def before_call(self) -> None:
        """Let a request through, or raise FrontLooksDownError while open (one probe once it cools down)."""
        with self._lock:
            if self._open_until is None:
                return
            now = self._clock()
            if now >= self._open_until and not self._probing:
                self._probing = True
                log.info("Circuit breaker half-open: sending one probe request to Front")
                return
            wait = max(self._open_until - now, 0.0)
            raise FrontLooksDownError(
                f"Front looks down: {self._failures} consecutive requests failed (last: {self._last_cause}); "
                f"the circuit breaker holds further calls for another {wait:.0f} s. The task retry will resume "
                f"from its checkpoint.",
                cause="breaker_open",
            )

    def record_success(self) -> None:
        """Front answered (any status but a transient failure): close the circuit."""
        with self._lock:
            if self._open_until is not None:
                log.info("Circuit breaker closed: Front answers again")
            self._failures = 0
            self._open_until = None
            self._probing = False

    def release_probe(self) -> None:
        """The request ended without a verdict on Front (an unexpected local error): let another probe go."""
        with self._lock:
            self._probing = False

    def record_failure(self, cause: str) -> None:
        """A transient failure: count it; open the circuit at the threshold, or again if the probe failed."""
        with self._lock:
            self._failures += 1
            self._last_cause = cause
            if self._probing or (self._open_until is None and self._failures >= self.threshold):
                self._open_until = self._clock() + self.cooldown
                self._probing = False
                self.times_opened += 1
                log.error(
                    "Circuit breaker open after %d consecutive failed requests (last: %s): no calls to "
                    "Front for %.0f s",
                    self._failures,
                    cause,
                    self.cooldown,
                )
