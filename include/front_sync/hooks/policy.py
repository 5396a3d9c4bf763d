"""The error policy in one table: each status or exception maps to what the hook does about it.

| answer                                        | action        | what happens                                        |
|-----------------------------------------------|---------------|-----------------------------------------------------|
| 2xx                                           | OK            | JSON parsed (numbers as Decimal); invalid -> RETRY  |
| 301 on /conversations/{id}[/...]              | MERGED        | FrontConversationMerged(old_id, surviving_id)       |
| other 3xx                                     | UNEXPECTED    | FrontAPIError (redirects are never followed)        |
| 400, other 4xx                                | BAD_REQUEST   | FrontBadRequestError with Front's _error.message    |
| 401, 403                                      | AUTH          | FrontAuthError naming the connection and the scope  |
| 404                                           | NOT_FOUND     | FrontNotFound: the caller records "missing"         |
| 429                                           | RATE_LIMITED  | wait Retry-After (>= 1 s), no retry attempt used    |
| 408, 500, 502, 503, 504, other 5xx            | RETRY         | backoff 1, 2, 4, 8, 16 s + jitter, then retryable   |
| timeouts, connection errors, cut-off bodies   | RETRY         | same                                                |
| invalid URL                                   | BAD_REQUEST   | fails at once                                       |
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass
from email.utils import parsedate_to_datetime

import requests


class Action(enum.Enum):
    OK = "ok"
    RETRY = "retry"
    RATE_LIMITED = "rate_limited"
    AUTH = "auth"
    BAD_REQUEST = "bad_request"
    NOT_FOUND = "not_found"
    MERGED = "merged"
    UNEXPECTED = "unexpected"


@dataclass(frozen=True)
class Decision:
    """What to do, and the cause label used in logs and in the retries-by-cause metric."""

    action: Action
    cause: str


STATUS_POLICY: dict[int, Action] = {
    301: Action.MERGED,
    400: Action.BAD_REQUEST,
    401: Action.AUTH,
    403: Action.AUTH,
    404: Action.NOT_FOUND,
    408: Action.RETRY,
    429: Action.RATE_LIMITED,
    500: Action.RETRY,
    502: Action.RETRY,
    503: Action.RETRY,
    504: Action.RETRY,
}

# Status classes for codes the table does not name.
CLASS_POLICY: dict[int, Action] = {2: Action.OK, 3: Action.UNEXPECTED, 4: Action.BAD_REQUEST, 5: Action.RETRY}

# First match wins: ConnectTimeout is both a Timeout and a ConnectionError and should count as a timeout.
EXCEPTION_POLICY: tuple[tuple[type[BaseException], Action, str], ...] = (
    (requests.exceptions.Timeout, Action.RETRY, "timeout"),
    (requests.exceptions.InvalidURL, Action.BAD_REQUEST, "invalid_url"),
    (requests.exceptions.ConnectionError, Action.RETRY, "connection_error"),
    (requests.exceptions.ChunkedEncodingError, Action.RETRY, "connection_error"),  # body cut off mid-way
    (requests.exceptions.ContentDecodingError, Action.RETRY, "invalid_body"),
    (ValueError, Action.RETRY, "invalid_json"),  # a truncated or non-JSON 2xx body
)

MIN_RATE_LIMIT_WAIT = 1.0  # Retry-After may say 0 or 0.341: never hammer straight back


def classify_status(status: int) -> Decision:
    """The action for an HTTP status: the table first, then its class."""
    action = STATUS_POLICY.get(status) or CLASS_POLICY.get(status // 100, Action.UNEXPECTED)
    return Decision(action, f"http_{status}")


def classify_exception(exc: BaseException) -> Decision | None:
    """The action for an exception raised while sending or decoding; None if the table does not know it."""
    for kind, action, cause in EXCEPTION_POLICY:
        if isinstance(exc, kind):
            return Decision(action, cause)
    return None


def retry_after_seconds(headers: dict[str, str] | requests.structures.CaseInsensitiveDict, wall_now: float) -> float:
    """Seconds to wait after a 429: Retry-After as float seconds (or an HTTP date), at least 1 s.

    Missing, zero or unreadable values wait the minimum, or until ``x-ratelimit-reset`` when the plan quota
    is exhausted (remaining 0), so a 429 never loops straight into another request.
    """
    value = front_retry_after(headers, wall_now)
    if value is None or value < MIN_RATE_LIMIT_WAIT:
        return MIN_RATE_LIMIT_WAIT
    return math.ceil(value * 1000) / 1000


def front_retry_after(
    headers: dict[str, str] | requests.structures.CaseInsensitiveDict, wall_now: float
) -> float | None:
    """Front's own wait after a 429, unfloored (Retry-After, else the reset when the quota is gone); None if unsaid."""
    value = _parse_retry_after(headers.get("retry-after"), wall_now)
    if value is None and int_header(headers, "x-ratelimit-remaining") == 0:
        value = seconds_until_reset(headers.get("x-ratelimit-reset"), wall_now)
    return None if value is None else max(value, 0.0)


def seconds_until_reset(value: str | None, wall_now: float, ceiling: float = 60.0) -> float | None:
    """``x-ratelimit-reset`` as seconds from now (epoch seconds, epoch milliseconds or a delta), capped.

    The cap keeps a skewed clock on either side from freezing the task; Front's window is a minute.
    """
    try:
        reset = float(value) if value is not None else None
    except ValueError:
        return None
    if reset is None or not math.isfinite(reset) or reset < 0:
        return None
    if reset > 1e11:  # epoch milliseconds
        reset /= 1000.0
    seconds = reset - wall_now if reset > 1e9 else reset
    return min(max(seconds, 0.0), ceiling)


def _parse_retry_after(value: str | None, wall_now: float) -> float | None:
    if value is None or not value.strip():
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            seconds = parsedate_to_datetime(value).timestamp() - wall_now
        except (TypeError, ValueError, IndexError, OverflowError):
            return None
    return seconds if math.isfinite(seconds) else None


def int_header(headers, name: str) -> int | None:
    """A numeric header (``x-ratelimit-limit``, ``-remaining``) as an int; None when absent or unreadable."""
    try:
        return int(float(headers.get(name)))
    except (TypeError, ValueError, OverflowError):
        return None
