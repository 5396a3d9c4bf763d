"""HTTP helpers of the Front routes: Front's errors, parameters (``limit``, ``page_token``, ``q[...]``,
``sort_by``, ``sort_order``) and envelopes assembled from pre-encoded records."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import msgspec
from fastapi import Request
from fastapi.responses import Response

from front_simulator.pagination import InvalidPageToken, Window, decode_token, encode_token
from front_simulator.state import SimulatorState

DEFAULT_LIMIT = 50  # Front documents no default page size; always send ``limit``
MAX_LIMIT = 100

_encode = msgspec.json.Encoder().encode
JSON = "application/json"


class ApiError(Exception):
    """An error answered with Front's ``_error`` envelope."""

    def __init__(self, status: int, title: str, message: str | None = None, headers: dict[str, str] | None = None):
        super().__init__(message or title)
        self.status, self.title, self.message, self.headers = status, title, message, headers


def error_body(status: int, title: str, message: str | None = None) -> bytes:
    error: dict[str, Any] = {"status": status, "title": title}
    if message:
        error["message"] = message
    return _encode({"_error": error})


def json_response(payload: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    body = payload if isinstance(payload, bytes) else _encode(payload)
    return Response(content=body, status_code=status, media_type=JSON, headers=headers)


# -- parameter parsing -------------------------------------------------------------------------------


def parse_limit(request: Request, maximum: int = MAX_LIMIT, default: int = DEFAULT_LIMIT) -> int:
    """Front's ``limit``: above the maximum it is capped (not refused); below 1 or not an integer: 400."""
    raw = request.query_params.get("limit")
    if raw is None or raw == "":
        return min(default, maximum)
    try:
        value = int(raw)
    except ValueError as exc:
        raise ApiError(400, "Bad request", f"limit must be an integer, got {raw!r}") from exc
    if value < 1:
        raise ApiError(400, "Bad request", "limit must be >= 1")
    return min(value, maximum)


def parse_timestamp(request: Request, name: str) -> float | None:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return None
    try:
        value = float(raw)
    except ValueError as exc:
        raise ApiError(400, "Bad request", f"{name} must be a timestamp in seconds, got {raw!r}") from exc
    if value != value or value in (float("inf"), float("-inf")):
        raise ApiError(400, "Bad request", f"{name} must be a finite timestamp")
    return value


def parse_order(request: Request, default: str = "desc") -> bool:
    """True for descending."""
    raw = request.query_params.get("sort_order") or default
    if raw not in ("asc", "desc"):
        raise ApiError(400, "Bad request", "sort_order must be asc or desc")
    return raw == "desc"


def parse_sort_by(request: Request, allowed: tuple[str, ...]) -> str | None:
    raw = request.query_params.get("sort_by")
    if raw is None or raw == "":
        return None
    if raw not in allowed:
        raise ApiError(400, "Bad request", f"sort_by must be one of {', '.join(allowed)}")
    return raw


def query_list(request: Request, name: str) -> tuple[str, ...]:
    """Repeated ``q[name]=a&q[name]=b`` (also accepts ``q[name][]=``)."""
    values = request.query_params.getlist(f"q[{name}]") + request.query_params.getlist(f"q[{name}][]")
    return tuple(v for v in values if v)


# -- envelopes ---------------------------------------------------------------------------------------


def page_cursor(state: SimulatorState, request: Request, listing: str) -> Any:
    """The key a ``page_token`` continues after (None on the first page); 400 for a foreign token."""
    token = request.query_params.get("page_token")
    if not token:
        return None
    try:
        return decode_token(token, listing, state.generation)
    except InvalidPageToken as exc:
        raise ApiError(400, "Bad request", str(exc)) from exc


def next_link(
    state: SimulatorState, request: Request, path: str, listing: str, window: Window, limit: int
) -> str | None:
    """``_pagination.next``: company host, the original filters, ``limit`` and an opaque ``page_token``."""
    if not window.has_more or window.last_key is None:
        return None
    params = [(k, v) for k, v in request.query_params.multi_items() if k not in ("page_token", "limit")]
    params.append(("limit", str(limit)))
    params.append(("page_token", encode_token(listing, state.generation, window.last_key)))
    return f"{state.link_base}{path}?{urlencode(params)}"


def envelope(
    state: SimulatorState,
    path: str,
    parts: list[bytes],
    *,
    next_url: str | None = None,
    paginated: bool = True,
    total: int | None = None,
) -> bytes:
    """Assemble ``{"_pagination", "_links", "_results"}`` from encoded records without re-encoding them."""
    head = b"{"
    if paginated:
        head += b'"_pagination":{"next":' + _encode(next_url) + b"},"
    head += b'"_links":{"self":' + _encode(f"{state.link_base}{path}") + b"},"
    if total is not None:
        head += b'"_total":' + str(total).encode() + b","
    return head + b'"_results":[' + b",".join(parts) + b"]}"
