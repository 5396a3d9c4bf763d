"""Connecting Front (OAuth): the authorize URL with a session-bound ``state``, and the code exchange that stores
the token pair. Shared by the "Connect Front" button (plugins/front_sync_oauth.py) and ``front-sync oauth connect``.

``state`` is a random nonce; the browser keeps it with a MAC over (nonce, user, connection, time) in a cookie, so
a callback is accepted only in the session that started it, by the same user, within ``STATE_MAX_AGE``.
"""

from __future__ import annotations

import hmac
import secrets
import time
from contextlib import closing
from dataclasses import dataclass
from typing import Any

from front_sync.config import WAREHOUSE_CONN_ID
from front_sync.hooks.errors import FrontConfigError
from front_sync.hooks.front import FrontHook
from front_sync.hooks.oauth import TokenCipher, oauth_client, reconnect_url
from front_sync.hooks.settings import HookSettings
from front_sync.sync.front_client import open_front_hook
from front_sync.warehouse import migrations
from front_sync.warehouse.connection import warehouse_connection
from front_sync.warehouse.oauth_store import PostgresTokenStore

STATE_MAX_AGE = 600  # seconds between "Connect Front" and Front's redirect back
CALLBACK_PATH = "/front-sync-oauth/callback"


class OAuthStateError(ValueError):
    """The callback's ``state`` does not belong to this session (CSRF, a stale tab, another user)."""


@dataclass(frozen=True)
class Connected:
    """What a successful connect reports (no tokens): the connection and Front's company name."""

    conn_id: str
    company: str | None


def default_redirect_uri() -> str:
    """The callback on this Airflow's api-server (``[api] base_url``)."""
    return reconnect_url().removesuffix("/front-sync/") + CALLBACK_PATH


def _oauth_settings(front_conn_id: str) -> Any:
    settings = HookSettings.from_connection(FrontHook.get_connection(front_conn_id), front_conn_id)
    if not settings.oauth:
        raise FrontConfigError(
            f"Connection {front_conn_id!r} uses a static API token; set its extra "
            'auth to "oauth" (login = client id, password = client secret) to connect Front.'
        )
    return settings


def redirect_uri_of(front_conn_id: str) -> str:
    """The connection's registered redirect URI (extra oauth_redirect_uri), else this Airflow's callback."""
    return _oauth_settings(front_conn_id).oauth_redirect_uri or default_redirect_uri()


def start(front_conn_id: str, user: str, redirect_uri: str | None = None) -> tuple[str, str]:
    """(Front's authorize URL, the cookie value binding its ``state`` to this session and user)."""
    settings = _oauth_settings(front_conn_id)
    nonce = secrets.token_urlsafe(24)
    issued = str(int(time.time()))
    mac = _mac(settings, nonce, user, issued)
    url = oauth_client(settings).authorize_url(redirect_uri or redirect_uri_of(front_conn_id), nonce)
    return url, f"{nonce}.{issued}.{mac}"


def check_state(front_conn_id: str, state: str | None, cookie: str | None, user: str) -> None:
    """Raise OAuthStateError unless ``state`` is the one this session's cookie holds, for this user, still fresh."""
    settings = _oauth_settings(front_conn_id)
    nonce, issued, mac = ((cookie or "").split(".") + ["", "", ""])[:3]
    if not state or not nonce or not hmac.compare_digest(state, nonce):
        raise OAuthStateError(
            "The OAuth state does not match this browser session: start again with "
            '"Connect Front" on the Front sync page.'
        )
    if not hmac.compare_digest(mac, _mac(settings, nonce, user, issued)):
        raise OAuthStateError("The OAuth state was issued to another user or connection: start again.")
    if not issued.isdigit() or time.time() - int(issued) > STATE_MAX_AGE:
        raise OAuthStateError('The OAuth state expired (over 10 minutes since "Connect Front"): start again.')


def _mac(settings: Any, nonce: str, user: str, issued: str) -> str:
    key = TokenCipher(settings.token, settings.conn_id).fingerprint(f"state-key\n{settings.client_id}")
    return hmac.new(key.encode(), f"{nonce}\n{user}\n{settings.conn_id}\n{issued}".encode(), "sha256").hexdigest()


def complete(
    front_conn_id: str,
    code: str,
    user: str | None,
    redirect_uri: str | None = None,
    warehouse_conn_id: str = WAREHOUSE_CONN_ID,
) -> Connected:
    """Exchange ``code`` (once), store the encrypted pair in the warehouse, and check it with GET /me."""
    settings = _oauth_settings(front_conn_id)
    grant = oauth_client(settings).exchange_code(code.strip(), redirect_uri or redirect_uri_of(front_conn_id))
    cipher = TokenCipher(settings.token, settings.conn_id)
    store_conn_id = settings.warehouse_conn_id or warehouse_conn_id
    with closing(warehouse_connection(store_conn_id)) as conn:
        migrations.migrate(conn)
    with PostgresTokenStore(lambda: warehouse_connection(store_conn_id)) as store:
        store.save(
            front_conn_id,
            settings.client_id,
            cipher.seal(grant.access_token),
            cipher.seal(grant.refresh_token),
            grant.expires_in,
            user,
        )
    with open_front_hook(front_conn_id, warehouse_conn_id) as front:
        company = front.get_me().get("name")
    return Connected(front_conn_id, company)


def status(warehouse_conn_id: str = WAREHOUSE_CONN_ID) -> list[dict[str, Any]]:
    """Each OAuth connection's state in the warehouse (status, who connected it when, refreshes): no tokens."""
    with PostgresTokenStore(lambda: warehouse_connection(warehouse_conn_id)) as store:
        return store.status()


__all__ = [
    "CALLBACK_PATH",
    "Connected",
    "OAuthStateError",
    "check_state",
    "complete",
    "default_redirect_uri",
    "redirect_uri_of",
    "start",
    "status",
]
