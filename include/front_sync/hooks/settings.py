"""The ``front`` connection read once and validated: a wrong extra fails fast with its name, not mid-sync.

The extras are parsed and checked from the one list of them, ``extras.EXTRAS``.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from front_sync.hooks.errors import FrontAuthError, FrontConfigError
from front_sync.hooks.extras import (
    AUTH_MODES,
    DEFAULT_ALLOWED_HOSTS,
    DEFAULT_BASE_URL,
    DEFAULT_OAUTH_URL,
    EXTRA_NAMES,
    EXTRAS,
    MAX_PAGE_LIMIT,
)

__all__ = [
    "DEFAULT_ALLOWED_HOSTS",
    "DEFAULT_BASE_URL",
    "MAX_PAGE_LIMIT",
    "HookSettings",
    "base_url_from",
    "default_budget_key",
]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class HookSettings:
    """Everything FrontHook needs from its connection: the token, the base URL, and one field per extra.

    With ``auth == "oauth"``, ``token`` is the app's client secret and ``client_id`` its client id (the token
    pair itself is in the token store, never in the connection). Secrets stay out of the repr.
    """

    conn_id: str
    token: str = field(repr=False)
    client_id: str
    base_url: str
    allowed_hosts: tuple[str, ...]
    rpm: float
    share: float
    burst_per_second: float
    page_limit: int
    connect_timeout: float
    read_timeout: float
    max_attempts: int
    max_rate_limit_wait_seconds: float
    breaker_failures: int
    breaker_cooldown_seconds: float
    max_workers: int
    budget_key: str
    auth: str
    oauth_url: str
    oauth_redirect_uri: str | None
    oauth_refresh_margin_seconds: float
    warehouse_conn_id: str | None  # OAuth: where the token pair lives; None: the caller's warehouse

    @property
    def oauth(self) -> bool:
        return self.auth == "oauth"

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
        extras = conn.extra_dejson or {}
        try:
            values = {extra.name: extra.read(extras) for extra in EXTRAS}
        except ValueError as exc:
            raise FrontConfigError(f"Connection {conn_id!r}: {exc}") from None
        token, client_id = _credentials(conn, conn_id, values)
        values["allowed_hosts"] = (*DEFAULT_ALLOWED_HOSTS, *values["allowed_hosts"])
        base_url = base_url_from(conn, conn_id)
        values["budget_key"] = values["budget_key"] or default_budget_key(base_url, token)
        values["oauth_url"] = (values["oauth_url"] or DEFAULT_OAUTH_URL).rstrip("/")
        unknown = sorted(set(extras) - EXTRA_NAMES)
        if unknown:  # a typo would otherwise silently keep the default
            log.warning("Connection %r: ignoring unknown extra(s) %s; known: %s", conn_id, unknown, sorted(EXTRA_NAMES))
        return cls(conn_id=conn_id, token=token, client_id=client_id, base_url=base_url, **values)


def _credentials(conn: Any, conn_id: str, values: dict[str, Any]) -> tuple[str, str]:
    """(token or client secret, client id) by the ``auth`` extra; a missing one is an actionable error."""
    values["auth"] = (values["auth"] or "token").lower()
    if values["auth"] not in AUTH_MODES:
        raise FrontConfigError(f"Connection {conn_id!r}: extra 'auth' must be one of {', '.join(AUTH_MODES)}")
    secret = conn.password or ""
    if values["auth"] == "token":
        if not secret:
            raise FrontAuthError(
                f"Connection {conn_id!r} has no API token: put the Front API token in its password field."
            )
        return secret, ""
    client_id = (conn.login or "").strip()
    if not client_id or not secret:
        raise FrontAuthError(
            f"Connection {conn_id!r} uses OAuth (auth: oauth): put the Front app's client id "
            "in its login field and its client secret in its password field."
        )
    return secret, client_id


def default_budget_key(base_url: str, token: str) -> str:
    """One rate budget per Front company: a token names its company, so the budget key defaults to a hash of
    the base URL and the token (never the token itself, which the key table and logs must not hold)."""
    digest = hashlib.sha256(f"front-sync budget\n{base_url}\n{token}".encode()).hexdigest()
    return f"token-{digest[:24]}"


def base_url_from(conn: Any, conn_id: str) -> str:
    """The API base URL from the connection's host (a URL or a bare host, https unless its schema says),
    schema and port; no trailing slash. A bare host never defaults to plain http: the token would travel in clear.
    """
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
