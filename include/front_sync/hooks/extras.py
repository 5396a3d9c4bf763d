"""The ``front`` connection's extras: the one list of them, with their types, defaults, bounds and UI text.

``settings.HookSettings.from_connection`` parses and checks the extras from ``EXTRAS``, and ``conn_fields()``
turns it into the Airflow UI form (provider_info's ``conn-fields``). No Airflow import here: Airflow loads
provider_info, and so this module, while it discovers providers.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

DEFAULT_BASE_URL = "https://api2.frontapp.com"
DEFAULT_ALLOWED_HOSTS = ("*.frontapp.com",)
MAX_PAGE_LIMIT = 100
MAX_TEXT = 200


@dataclass(frozen=True)
class Extra:
    """One connection extra: its type, default and bounds (parsing), its label and description (UI form).

    ``kind`` is ``number`` (float), ``integer``, ``text`` (a non-blank string, at most 200 characters) or
    ``hosts`` (a list of host patterns, or one comma-separated string as the UI field gives it). Bounds are
    inclusive, except ``low`` when ``low_inclusive`` is false.
    """

    name: str
    kind: str
    default: float | None
    label: str
    description: str
    low: float = 0
    high: float = 0
    low_inclusive: bool = True

    @property
    def expected(self) -> str:
        """What a valid value looks like: the same words in the error message and in the UI form."""
        if self.kind == "hosts":
            return "a list of host names or patterns (or a comma-separated string)"
        if self.kind == "text":
            return f"a non-blank string of at most {MAX_TEXT} characters"
        if self.kind == "integer":
            return f"an integer from {self.low:g} to {self.high:g}"
        return f"a number {'>=' if self.low_inclusive else '>'} {self.low:g} and <= {self.high:g}"

    def read(self, extras: dict[str, Any]) -> Any:
        """The extra's value from ``extras`` (its default when absent or empty); ValueError when invalid."""
        value = extras.get(self.name)
        if value is None or value == "":
            return () if self.kind == "hosts" else _typed(self.kind, self.default)
        parsed = _PARSERS[self.kind](value)
        if parsed is None or (self.kind in ("number", "integer") and not self._in_bounds(parsed)):
            raise ValueError(f"extra {self.name!r} must be {self.expected}")
        return parsed

    def _in_bounds(self, number: float) -> bool:
        low_ok = number >= self.low if self.low_inclusive else number > self.low
        return low_ok and number <= self.high

    def conn_field(self) -> dict[str, Any]:
        """The UI form field (provider_info ``conn-fields`` entry), its accepted values spelled out."""
        json_type = {"number": "number", "integer": "integer", "hosts": "string", "text": "string"}[self.kind]
        schema: dict[str, Any] = {"type": [json_type, "null"]}
        if self.default is not None:
            schema["default"] = self.default
        default = f"; default {self.default:g}" if self.default is not None else ""
        return {
            "label": self.label,
            "description": f"{self.description} Must be {self.expected}{default}.",
            "schema": schema,
        }


# The one list of the ``front`` connection's extras. HookSettings has one field per entry.
EXTRAS: tuple[Extra, ...] = (
    Extra(
        "rpm",
        "number",
        100,
        "Plan rate limit (requests/minute)",
        "Front's per-company limit: 50, 100 or 200 depending on the plan.",
        low=1,
        high=100_000,
    ),
    Extra(
        "share",
        "number",
        0.8,
        "Share of the limit for this task",
        "The part of the plan's limit this deployment may use; leave room for other integrations and parallel tasks.",
        low=0,
        high=1,
        low_inclusive=False,
    ),
    Extra(
        "burst_per_second",
        "number",
        5,
        "Per-resource burst limit (requests/s)",
        "Front's per-resource limit (about 5/s); 0 turns the spacing off.",
        low=0,
        high=10_000,
    ),
    Extra(
        "page_limit",
        "integer",
        MAX_PAGE_LIMIT,
        "Page size",
        "Records per page (Front's maximum is 100).",
        low=1,
        high=MAX_PAGE_LIMIT,
    ),
    Extra(
        "connect_timeout",
        "number",
        5,
        "Connect timeout (s)",
        "Seconds to wait for a connection to Front.",
        low=0,
        high=600,
        low_inclusive=False,
    ),
    Extra(
        "read_timeout",
        "number",
        30,
        "Read timeout (s)",
        "Seconds to wait for Front's answer.",
        low=0,
        high=3600,
        low_inclusive=False,
    ),
    Extra(
        "max_attempts",
        "integer",
        5,
        "Retries of a transient failure",
        "Retries of 5xx, timeouts and bad JSON, after 1, 2, 4, 8, 16 s (+ jitter).",
        low=0,
        high=10,
    ),
    Extra(
        "max_rate_limit_wait_seconds",
        "number",
        300,
        "Max 429 wait per request (s)",
        "Total 429 waits one request may spend before the task fails and its retry resumes.",
        low=1,
        high=86_400,
    ),
    Extra(
        "breaker_failures",
        "integer",
        10,
        "Consecutive failures before the breaker opens",
        "The circuit breaker stops calling Front after this many failed requests in a row.",
        low=1,
        high=1000,
    ),
    Extra(
        "breaker_cooldown_seconds",
        "number",
        60,
        "Breaker cool-down (s)",
        "How long the open breaker waits before one probe request.",
        low=0,
        high=3600,
        low_inclusive=False,
    ),
    Extra(
        "max_workers",
        "integer",
        4,
        "Concurrent fetches",
        "Threads fetching per-conversation messages and comments.",
        low=1,
        high=32,
    ),
    Extra(
        "allowed_hosts",
        "hosts",
        None,
        "Allowed hosts",
        "Host names besides the base host and *.frontapp.com that may receive the token.",
    ),
    Extra(
        "budget_key",
        "text",
        None,
        "Rate budget key",
        "Names the Front company whose rate budget this connection draws from (shared by every task and "
        "worker through the warehouse). Default: a hash of the base URL and the token. Give connections of "
        "one company with different tokens the same key, so they share one budget.",
    ),
    Extra(
        "auth",
        "text",
        None,
        "Authentication",
        "token (default): the password is a Front API token. oauth: a Front app; login = client id, password "
        "= client secret, and the token pair lives encrypted in the warehouse (connect on the Front sync page).",
    ),
    Extra(
        "oauth_url",
        "text",
        None,
        "OAuth server",
        "Where Front's /oauth/authorize and /oauth/token are (default https://app.frontapp.com).",
    ),
    Extra(
        "oauth_redirect_uri",
        "text",
        None,
        "OAuth redirect URI",
        "The redirect URI registered for the app (default: the Front sync page's callback on this Airflow).",
    ),
    Extra(
        "oauth_refresh_margin_seconds",
        "number",
        300,
        "Refresh ahead of expiry (s)",
        "Refresh the OAuth access token this long before it expires (at most half its lifetime).",
        low=0,
        high=86_400,
    ),
    Extra(
        "warehouse_conn_id",
        "text",
        None,
        "Token store connection",
        "OAuth only: the warehouse connection whose front.oauth_tokens holds the token pair (default front_warehouse).",
    ),
)
AUTH_MODES = ("token", "oauth")
DEFAULT_OAUTH_URL = "https://app.frontapp.com"
EXTRA_NAMES = frozenset(extra.name for extra in EXTRAS)


def conn_fields() -> dict[str, dict[str, Any]]:
    """The ``conn-fields`` of the ``front`` connection type, one per extra."""
    return {extra.name: extra.conn_field() for extra in EXTRAS}


def _typed(kind: str, value: float | None) -> float | int | None:
    if value is None:
        return None
    return int(value) if kind == "integer" else float(value)


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _integer(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


def _hosts(value: Any) -> tuple[str, ...] | None:
    if isinstance(value, str):  # the UI field is a comma-separated string
        value = [part.strip() for part in value.split(",") if part.strip()]
    if not isinstance(value, list) or not all(isinstance(h, str) and h.strip() for h in value):
        return None
    return tuple(h.strip().lower() for h in value)


def _text(value: Any) -> str | None:
    if not isinstance(value, str) or not value.strip() or len(value.strip()) > MAX_TEXT:
        return None
    return value.strip()


# Each parser returns its kind's type (float, int, tuple of hosts, str) or None when the value is invalid.
_PARSERS: dict[str, Callable[[Any], Any]] = {"number": _number, "integer": _integer, "hosts": _hosts, "text": _text}
