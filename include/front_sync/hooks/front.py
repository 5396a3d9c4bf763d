"""FrontHook: the one way front-sync talks to Front's Core API (auth, host allow-list, timeouts, pagination)."""

from __future__ import annotations

import fnmatch
import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

import requests
from airflow.sdk import BaseHook
from airflow.sdk.exceptions import AirflowFailException

from front_sync.config import FRONT_CONN_ID

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://api2.frontapp.com"
DEFAULT_ALLOWED_HOSTS = ("*.frontapp.com",)
MAX_PAGE_LIMIT = 100


class FrontAPIError(RuntimeError):
    """Front answered with an error the task cannot fix by itself; the Airflow task retry may."""


class FrontAuthError(AirflowFailException):
    """The token is missing, wrong or lacks a scope: retrying cannot help, so the task fails at once."""


class FrontConfigError(AirflowFailException):
    """A connection setting is wrong; the message names the connection and the setting."""


class FrontUnsafeURLError(AirflowFailException):
    """A URL from Front points outside the allow-list; the token is never sent there."""


@dataclass
class RequestMetrics:
    """Counters for one task run, reported in sync_logs."""

    calls: int = 0
    bytes: int = 0
    by_status: dict[int, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"api_calls": self.calls, "bytes": self.bytes, "by_status": dict(self.by_status)}


def _base_url_from(conn) -> str:
    """Build the API base URL from the connection's host (a URL or a bare host), schema and port."""
    host = (conn.host or "").strip().rstrip("/")
    if not host:
        return DEFAULT_BASE_URL
    if "://" not in host:
        scheme = conn.schema or "https"
        host = f"{scheme}://{host}"
    parts = urlsplit(host)
    if conn.port and not parts.port:
        host = f"{parts.scheme}://{parts.hostname}:{conn.port}{parts.path}"
    return host


class FrontHook(BaseHook):
    """Reads Front's Core API with the token of an Airflow connection of type ``front``.

    Args:
        front_conn_id: the connection: password = API token, host = API base URL (default
            https://api2.frontapp.com); extras: ``page_limit`` (1-100), ``allowed_hosts`` (extra host
            patterns that may receive the token, besides the base host and ``*.frontapp.com``),
            ``connect_timeout`` and ``read_timeout`` (seconds).
    """

    conn_name_attr = "front_conn_id"
    default_conn_name = FRONT_CONN_ID
    conn_type = "front"
    hook_name = "Front API"

    def __init__(self, front_conn_id: str = default_conn_name, **kwargs) -> None:
        super().__init__(**kwargs)
        self.front_conn_id = front_conn_id
        self.metrics = RequestMetrics()
        self._session: requests.Session | None = None
        self._settings_loaded = False

    def _load_settings(self) -> None:
        """Read the connection once: base URL, token, limits, allow-list; a bad setting fails with its name."""
        if self._settings_loaded:
            return
        conn = self.get_connection(self.front_conn_id)
        extra = conn.extra_dejson or {}
        self.token = conn.password or ""
        if not self.token:
            raise FrontAuthError(
                f"Connection {self.front_conn_id!r} has no API token: put the Front API token in its password field."
            )
        self.base_url = _base_url_from(conn)
        self.base_host = (urlsplit(self.base_url).hostname or "").lower()
        self.page_limit = _int_setting(extra, "page_limit", MAX_PAGE_LIMIT, 1, MAX_PAGE_LIMIT, self.front_conn_id)
        self.timeout = (
            _float_setting(extra, "connect_timeout", 5.0, self.front_conn_id),
            _float_setting(extra, "read_timeout", 30.0, self.front_conn_id),
        )
        allowed = extra.get("allowed_hosts", [])
        if isinstance(allowed, str):
            allowed = [h.strip() for h in allowed.split(",") if h.strip()]
        if not isinstance(allowed, list) or not all(isinstance(h, str) for h in allowed):
            raise FrontConfigError(
                f"Connection {self.front_conn_id!r}: extra 'allowed_hosts' must be a list of host names"
            )
        self.allowed_hosts = (*DEFAULT_ALLOWED_HOSTS, *(h.lower() for h in allowed))
        self._settings_loaded = True

    def get_conn(self) -> requests.Session:
        """A requests session that carries the Bearer token (sent only to allowed hosts, see ``_check_host``)."""
        if self._session is None:
            self._load_settings()
            session = requests.Session()
            session.headers.update({"Accept": "application/json", "User-Agent": "front-sync/0.1"})
            self._session = session
        return self._session

    def _check_host(self, url: str) -> None:
        """Refuse any URL whose host is neither the base host nor on the allow-list, before the token leaves."""
        host = (urlsplit(url).hostname or "").lower()
        if host == self.base_host or any(fnmatch.fnmatch(host, pattern) for pattern in self.allowed_hosts):
            return
        raise FrontUnsafeURLError(
            f"Refusing to send the token of connection {self.front_conn_id!r} to host {host!r}: it is neither the "
            f"base host {self.base_host!r} nor in allowed_hosts {list(self.allowed_hosts)}."
        )

    def request_json(self, url_or_path: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        """GET one URL (absolute, or a path under the base URL) and return its JSON, numbers as Decimal."""
        session = self.get_conn()
        url = url_or_path if "://" in url_or_path else f"{self.base_url}{url_or_path}"
        self._check_host(url)
        path = urlsplit(url).path
        response = session.get(
            url, params=params, timeout=self.timeout, allow_redirects=False,
            headers={"Authorization": f"Bearer {self.token}"},
        )
        self.metrics.calls += 1
        self.metrics.bytes += len(response.content)
        self.metrics.by_status[response.status_code] = self.metrics.by_status.get(response.status_code, 0) + 1
        log.debug("GET %s -> %s", path, response.status_code)
        if response.status_code in (401, 403):
            raise FrontAuthError(
                f"Front refused connection {self.front_conn_id!r} on GET {path} ({response.status_code} "
                f"{_error_title(response)}): check the API token in the connection's password and that it has the "
                f"read scope for this resource."
            )
        if response.status_code != 200:
            raise FrontAPIError(f"GET {path} answered {response.status_code} {_error_title(response)}")
        try:
            return json.loads(response.content, parse_float=Decimal)
        except ValueError as exc:
            raise FrontAPIError(f"GET {path} returned a body that is not valid JSON") from exc

    def iter_pages(self, path: str, params: dict[str, Any] | None = None) -> Iterator[list[dict[str, Any]]]:
        """Yield each page's ``_results``, following ``_pagination.next`` exactly as given until it is null.

        A short or empty page is not the end; only a null ``next`` is. A ``next`` seen twice raises (a loop).
        Unpaginated endpoints (no ``_pagination``) yield their one page.
        """
        self._load_settings()
        query = {"limit": self.page_limit, **(params or {})}
        body = self.request_json(path, query)
        seen: set[str] = set()
        while True:
            yield body.get("_results", [])
            next_url = (body.get("_pagination") or {}).get("next")
            if not next_url:
                return
            if next_url in seen:
                raise FrontAPIError(f"Pagination loop on {path}: Front returned the same next page twice")
            seen.add(next_url)
            body = self.request_json(next_url)

    def get_me(self) -> dict[str, Any]:
        """GET /me: the token's company; a cheap credentials check."""
        return self.request_json("/me")

    def test_connection(self) -> tuple[bool, str]:
        """Used by the Airflow UI's Test button."""
        try:
            me = self.get_me()
        except Exception as exc:  # noqa: BLE001 - the UI shows the message, the error type does not matter
            return False, str(exc)
        return True, f"Connected to Front company {me.get('name')!r}"


def _error_title(response: requests.Response) -> str:
    """Front's ``_error.title`` (never the body itself), for error messages."""
    try:
        return str(response.json().get("_error", {}).get("title", ""))[:200]
    except ValueError:
        return ""


def _int_setting(extra: dict, name: str, default: int, low: int, high: int, conn_id: str) -> int:
    value = extra.get(name, default)
    try:
        value = int(value)
    except (TypeError, ValueError):
        value = None
    if value is None or not low <= value <= high:
        raise FrontConfigError(f"Connection {conn_id!r}: extra {name!r} must be an integer from {low} to {high}")
    return value


def _float_setting(extra: dict, name: str, default: float, conn_id: str) -> float:
    try:
        value = float(extra.get(name, default))
    except (TypeError, ValueError):
        value = -1.0
    if value <= 0:
        raise FrontConfigError(f"Connection {conn_id!r}: extra {name!r} must be a positive number of seconds")
    return value
