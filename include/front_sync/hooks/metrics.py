"""Per-task-run API counters (calls, retries by cause, 429s, waits, bytes, quota) for sync_logs; thread-safe."""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Any


@dataclass
class RequestMetrics:
    """What one hook spent; ``sync_log_figures`` feeds sync_logs' columns, ``metadata`` its jsonb."""

    calls: int = 0
    bytes: int = 0
    retries: int = 0
    rate_limit_waits: int = 0
    rate_limit_wait_seconds: float = 0.0
    pacing_wait_seconds: float = 0.0
    backoff_wait_seconds: float = 0.0
    http_429: int = 0
    burst_429: int = 0
    failed_requests: int = 0
    not_found: int = 0
    merged: int = 0
    oauth_401_renewals: int = 0  # OAuth: 401s answered by renewing the token and sending once more
    quota_limit: int | None = None
    quota_remaining: int | None = None
    quota_remaining_min: int | None = None
    by_status: Counter = field(default_factory=Counter)
    retries_by_cause: Counter = field(default_factory=Counter)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def record_response(self, status: int, size: int, limit: int | None, remaining: int | None) -> None:
        with self._lock:
            self.calls += 1
            self.bytes += size
            self.by_status[status] += 1
            if limit is not None:
                self.quota_limit = limit
            if remaining is not None:
                self.quota_remaining = remaining
                if self.quota_remaining_min is None or remaining < self.quota_remaining_min:
                    self.quota_remaining_min = remaining

    def record_no_response(self, cause: str) -> None:
        """A request that got no HTTP answer (timeout, reset): a call all the same."""
        with self._lock:
            self.calls += 1
            self.by_status[cause] += 1

    def record_wait(self, seconds: float, held: bool) -> None:
        """Time spent before a request: forced by Front's limit (a rate-limit wait) or our own pace."""
        if seconds <= 0:
            return
        with self._lock:
            if held:
                self.rate_limit_waits += 1
                self.rate_limit_wait_seconds += seconds
            else:
                self.pacing_wait_seconds += seconds

    def record_429(self, burst: bool) -> None:
        with self._lock:
            self.http_429 += 1
            self.burst_429 += burst

    def record_retry(self, cause: str, wait: float) -> None:
        with self._lock:
            self.retries += 1
            self.retries_by_cause[cause] += 1
            self.backoff_wait_seconds += wait

    def count(self, name: str) -> None:
        """Bump one of the outcome counters (failed_requests, not_found, merged)."""
        with self._lock:
            setattr(self, name, getattr(self, name) + 1)

    def sync_log_figures(self) -> dict[str, Any]:
        """The sync_logs columns, exactly these keys."""
        with self._lock:
            return {
                "api_calls": self.calls,
                "retries": self.retries,
                "rate_limit_waits": self.rate_limit_waits,
                "rate_limit_wait_seconds": round(self.rate_limit_wait_seconds, 3),
                "bytes_received": self.bytes,
            }

    def metadata(self) -> dict[str, Any]:
        """The details for sync_logs.metadata: causes, 429 kinds, other waits, quota, statuses."""
        with self._lock:
            return {
                "retries_by_cause": dict(self.retries_by_cause),
                "http_429": self.http_429,
                "burst_429": self.burst_429,
                "pacing_wait_seconds": round(self.pacing_wait_seconds, 3),
                "backoff_wait_seconds": round(self.backoff_wait_seconds, 3),
                "failed_requests": self.failed_requests,
                "not_found": self.not_found,
                "merged": self.merged,
                "oauth_401_renewals": self.oauth_401_renewals,
                "quota_limit": self.quota_limit,
                "quota_remaining": self.quota_remaining,
                "quota_remaining_min": self.quota_remaining_min,
                "by_status": {str(k): v for k, v in sorted(self.by_status.items(), key=lambda kv: str(kv[0]))},
            }

    def as_dict(self) -> dict[str, Any]:
        """Both views in one dict (logs, benchmarks)."""
        return {**self.sync_log_figures(), **self.metadata()}
