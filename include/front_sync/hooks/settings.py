"""The ``front`` connection read once and validated: a wrong extra fails fast with its name, not mid-sync."""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from front_sync.hooks.errors import FrontAuthError, FrontConfigError

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://api2.frontapp.com"
DEFAULT_ALLOWED_HOSTS = ("*.frontapp.com",)
MAX_PAGE_LIMIT = 100


@dataclass(frozen=True)
class HookSettings:
    """Everything FrontHook needs from its connection; defaults suit a Growth plan shared with others."""

    conn_id: str
    token: str
    base_url: str
    allowed_hosts: tuple[str, ...]
    rpm: float = 100.0
    share: float = 0.8
    burst_per_second: float = 5.0
    page_limit: int = MAX_PAGE_LIMIT
    connect_timeout: float = 5.0
    read_timeout: float = 30.0
    max_attempts: int = 5
    max_rate_limit_wait_seconds: float = 300.0
    breaker_failures: int = 10
    breaker_cooldown_seconds: float = 60.0
    max_workers: int = 4

    @property
    def requests_per_minute(self) -> float:
        """The budget this task may spend: the plan's limit times the share left for us."""
        return self.rpm * self.share

    @property
    def timeout(self) -> tuple[float, float]:
        return (self.connect_timeout, self.read_timeout)

    @property
    def base_host(self) -> str:
        return (urlsplit(self.base_url).hostname or "").lower()

    @classmethod
    def from_connection(cls, conn: Any, conn_id: str) -> HookSettings:
        """Validate the connection's password, host and extras; raise FrontConfigError naming a bad one."""
        token = conn.password or ""
        if not token:
            raise FrontAuthError(
                f"Connection {conn_id!r} has no API token: put the Front API token in its password field."
            )
        extra = conn.extra_dejson or {}
        read = _Extras(extra, conn_id)
        settings = cls(
            conn_id=conn_id,
            token=token,
            base_url=_base_url_from(conn, conn_id),
            allowed_hosts=(*DEFAULT_ALLOWED_HOSTS, *read.hosts("allowed_hosts")),
            rpm=read.number("rpm", cls.rpm, low=1, high=100_000),
            share=read.number("share", cls.share, low=0, high=1, low_inclusive=False),
            burst_per_second=read.number("burst_per_second", cls.burst_per_second, low=0, high=10_000),
            page_limit=read.integer("page_limit", cls.page_limit, low=1, high=MAX_PAGE_LIMIT),
            connect_timeout=read.number("connect_timeout", cls.connect_timeout, low=0, high=600,
                                        low_inclusive=False),
            read_timeout=read.number("read_timeout", cls.read_timeout, low=0, high=3600, low_inclusive=False),
            max_attempts=read.integer("max_attempts", cls.max_attempts, low=0, high=10),
            max_rate_limit_wait_seconds=read.number("max_rate_limit_wait_seconds", cls.max_rate_limit_wait_seconds,
                                                    low=1, high=86_400),
            breaker_failures=read.integer("breaker_failures", cls.breaker_failures, low=1, high=1000),
            breaker_cooldown_seconds=read.number("breaker_cooldown_seconds", cls.breaker_cooldown_seconds,
                                                 low=0, high=3600, low_inclusive=False),
            max_workers=read.integer("max_workers", cls.max_workers, low=1, high=32),
        )
        unknown = sorted(set(extra) - KNOWN_EXTRAS)
        if unknown:  # a typo would otherwise silently keep the default
            log.warning("Connection %r: ignoring unknown extra(s) %s; known: %s", conn_id, unknown,
                        sorted(KNOWN_EXTRAS))
        return settings


KNOWN_EXTRAS = frozenset({
    "rpm", "share", "burst_per_second", "page_limit", "allowed_hosts", "connect_timeout", "read_timeout",
    "max_attempts", "max_rate_limit_wait_seconds", "breaker_failures", "breaker_cooldown_seconds", "max_workers",
})


class _Extras:
    """Typed, range-checked access to a connection's extras; the error names the connection and the extra."""

    def __init__(self, extra: dict[str, Any], conn_id: str) -> None:
        self.extra = extra
        self.conn_id = conn_id

    def _fail(self, name: str, expected: str) -> FrontConfigError:
        return FrontConfigError(f"Connection {self.conn_id!r}: extra {name!r} must be {expected}")

    def number(self, name: str, default: float, *, low: float, high: float, low_inclusive: bool = True) -> float:
        value = self.extra.get(name)
        if value is None or value == "":
            return default
        above = ">=" if low_inclusive else ">"
        expected = f"a number {above} {low:g} and <= {high:g}"
        if isinstance(value, bool):
            raise self._fail(name, expected)
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise self._fail(name, expected) from None
        if not math.isfinite(number) or number > high or number < low or (number == low and not low_inclusive):
            raise self._fail(name, expected)
        return number

    def integer(self, name: str, default: int, *, low: int, high: int) -> int:
        value = self.extra.get(name)
        if value is None or value == "":
            return default
        expected = f"an integer from {low} to {high}"
        if isinstance(value, bool):
            raise self._fail(name, expected)
        try:
            number = int(str(value).strip())
        except (TypeError, ValueError):
            raise self._fail(name, expected) from None
        if not low <= number <= high:
            raise self._fail(name, expected)
        return number

    def hosts(self, name: str) -> tuple[str, ...]:
        value = self.extra.get(name) or []
        if isinstance(value, str):  # the UI field is a comma-separated string
            value = [part.strip() for part in value.split(",") if part.strip()]
        if not isinstance(value, list) or not all(isinstance(h, str) and h.strip() for h in value):
            raise self._fail(name, "a list of host names or patterns (or a comma-separated string)")
        return tuple(h.strip().lower() for h in value)


def _base_url_from(conn: Any, conn_id: str) -> str:
    """Build the API base URL from the connection's host (a URL or a bare host), schema and port."""
    host = (conn.host or "").strip().rstrip("/")
    if not host:
        return DEFAULT_BASE_URL
    if "://" not in host:
        host = f"{conn.schema or 'https'}://{host}"
    parts = urlsplit(host)
    if parts.scheme not in ("http", "https") or not parts.hostname or "@" in parts.netloc:
        raise FrontConfigError(
            f"Connection {conn_id!r}: host must be an http(s) URL such as {DEFAULT_BASE_URL} (no user name)"
        )
    if conn.port and not parts.port:
        host = f"{parts.scheme}://{parts.hostname}:{conn.port}{parts.path}"
    return host
