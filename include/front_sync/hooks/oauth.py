"""OAuth for Front apps: the token endpoint client, the encrypted token pair, and single-flight refresh.

The connection holds the app's client id (login) and secret (password); the token pair lives in a ``TokenStore``
every worker shares (``warehouse.oauth_store.PostgresTokenStore``), encrypted with a key derived from the client
secret, so the warehouse (read by analysts and BI tools) never holds a usable token and the key never sits beside
it. ``TokenSource`` hands out the access token, refreshes it ahead of expiry (the margin) or once after a 401,
and leaves the "exactly once across workers" to the store's row lock: whoever holds it refreshes, everyone else
reads the result. ``invalid_grant`` marks the connection "reconnect needed" and fails fast, never retried.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import urlencode

import requests
from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from front_sync.hooks.errors import FrontAuthError, FrontConfigError, FrontRetryableError
from front_sync.hooks.urls import BearerTokenAuth, check_token_destination

log = logging.getLogger(__name__)

AUTHORIZE_PATH = "/oauth/authorize"
TOKEN_PATH = "/oauth/token"
DEFAULT_LIFETIME = 3600.0  # Front's access tokens live an hour when the answer does not say


class FrontOAuthReconnect(FrontAuthError):
    """Front refused the refresh token (``invalid_grant``: revoked app, expired or reused refresh token) or the
    stored tokens cannot be read: only an admin reconnecting Front helps, so no retry. The token store marks
    the connection reconnect_needed when it sees ``oauth_reconnect``."""

    oauth_reconnect = True


@dataclass(frozen=True)
class TokenGrant:
    """A token pair from Front's token endpoint; never printed (no repr of the tokens)."""

    access_token: str = field(repr=False)
    refresh_token: str = field(repr=False)
    expires_in: float


@dataclass(frozen=True)
class StoredTokens:
    """The store's row: the pair encrypted, seconds left on the access token by the store's clock (the store
    hands rows over as plain tuples in this field order)."""

    access: bytes = field(repr=False)
    refresh: bytes = field(repr=False)
    seconds_left: float
    lifetime: float
    generation: int
    status: str  # connected | reconnect_needed
    message: str | None = None


@dataclass(frozen=True)
class Renewal:
    """What a refresh writes: the new pair, and the fingerprint of the refresh token it retires."""

    access: bytes = field(repr=False)
    refresh: bytes = field(repr=False)
    lifetime: float
    retired_fingerprint: str


class TokenStore(Protocol):
    """Where every worker finds the connection's token pair (one row per key, i.e. per connection)."""

    def read(self, key: str) -> tuple | None:
        """The current row (StoredTokens' fields as a tuple), or None before the first connect."""

    def renew(self, key: str, decide: Callable[[tuple], Renewal | None]) -> tuple | None:
        """Lock the row (SELECT ... FOR UPDATE), call ``decide(row)``: a Renewal is written and its old refresh
        token recorded as used in the same transaction; None leaves the row. ``decide`` raising
        FrontOAuthReconnect marks the row reconnect_needed (committed) and the error goes on; any other
        exception rolls back. Returns the row as it is after the commit."""

    def save(
        self, key: str, client_id: str, access: bytes, refresh: bytes, lifetime: float, connected_by: str | None
    ) -> None:
        """Store a freshly connected pair (a new generation; the old refresh token retired as "replaced")."""


class TokenCipher:
    """Fernet encryption of the token pair under a key derived (HKDF-SHA256) from the client secret and the
    connection id: a different app or connection cannot read another's row, and a changed secret makes the
    old row unreadable (reconnect), which is what a rotated secret should do anyway."""

    def __init__(self, client_secret: str, conn_id: str) -> None:
        raw = HKDF(
            algorithm=hashes.SHA256(), length=32, salt=b"front-sync oauth token store v1", info=conn_id.encode()
        ).derive(client_secret.encode())
        self._fernet = Fernet(base64.urlsafe_b64encode(raw))
        self._mac_key = hashlib.sha256(b"fingerprint\n" + raw).digest()

    def seal(self, token: str) -> bytes:
        return self._fernet.encrypt(token.encode())

    def open(self, blob: bytes, conn_id: str, reconnect_url: str) -> str:
        try:
            return self._fernet.decrypt(bytes(blob)).decode()
        except InvalidToken:
            raise FrontOAuthReconnect(
                f"The stored OAuth tokens of connection {conn_id!r} cannot be decrypted (the client secret "
                f"changed since Front was connected): reconnect Front at {reconnect_url}"
            ) from None

    def fingerprint(self, token: str) -> str:
        """A keyed hash naming a token in the used-tokens table without revealing it."""
        return hmac.new(self._mac_key, token.encode(), hashlib.sha256).hexdigest()[:32]


class OAuthClient:
    """Front's token endpoint: ``POST <oauth_url>/oauth/token``, HTTP Basic client_id:client_secret."""

    def __init__(
        self,
        oauth_url: str,
        client_id: str,
        client_secret: str,
        *,
        conn_id: str,
        reconnect_url: str,
        allowed_hosts: tuple[str, ...],
        base_url: str,
        timeout: tuple[float, float] = (5.0, 30.0),
        session_factory: Callable[[], requests.Session] = requests.Session,
    ) -> None:
        self.oauth_url = oauth_url.rstrip("/")
        self.client_id = client_id
        self._secret = client_secret
        self.conn_id = conn_id
        self.reconnect_url = reconnect_url
        self._allowed = (allowed_hosts, base_url)
        self._timeout = timeout
        self._session_factory = session_factory

    def authorize_url(self, redirect_uri: str, state: str) -> str:
        """Where an admin approves the app; Front redirects to ``redirect_uri`` with ``code`` and ``state``."""
        query = urlencode(
            {"response_type": "code", "client_id": self.client_id, "redirect_uri": redirect_uri, "state": state}
        )
        return f"{self.oauth_url}{AUTHORIZE_PATH}?{query}"

    def exchange_code(self, code: str, redirect_uri: str) -> TokenGrant:
        """The pair for an authorization code (codes work once)."""
        return self._post(
            {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri},
            "exchange the authorization code",
        )

    def refresh(self, refresh_token: str) -> TokenGrant:
        """A new pair for a refresh token; Front may rotate the refresh token: always keep what comes back."""
        grant = self._post({"grant_type": "refresh_token", "refresh_token": refresh_token}, "refresh the token")
        return grant if grant.refresh_token else TokenGrant(grant.access_token, refresh_token, grant.expires_in)

    def _post(self, form: dict[str, str], doing: str) -> TokenGrant:
        url = f"{self.oauth_url}{TOKEN_PATH}"
        check_token_destination(url, self._allowed[1], self._allowed[0], self.conn_id)
        try:
            with self._session_factory() as session:
                response = session.post(
                    url,
                    data=form,
                    auth=(self.client_id, self._secret),
                    timeout=self._timeout,
                    allow_redirects=False,
                    headers={"Accept": "application/json"},
                )
        except requests.RequestException as exc:
            raise FrontRetryableError(
                f"Could not {doing} at {TOKEN_PATH} for connection {self.conn_id!r}: {type(exc).__name__}",
                cause="oauth_unreachable",
            ) from None
        return self._grant_of(response, doing)

    def _grant_of(self, response: requests.Response, doing: str) -> TokenGrant:
        try:
            body = response.json()
        except ValueError:
            body = {}
        body = body if isinstance(body, dict) else {}
        if response.status_code == 200 and body.get("access_token"):
            return TokenGrant(str(body["access_token"]), str(body.get("refresh_token") or ""), _lifetime(body))
        error = str(body.get("error") or "")[:60]
        if error == "invalid_grant":
            raise FrontOAuthReconnect(
                f"Front refused to {doing} for connection {self.conn_id!r} (invalid_grant: the app was revoked "
                f"or the refresh token expired or was already used): reconnect Front at {self.reconnect_url}"
            )
        if response.status_code >= 500 or response.status_code == 429:
            raise FrontRetryableError(
                f"Front could not {doing} for connection {self.conn_id!r}: {response.status_code}",
                cause=f"oauth_http_{response.status_code}",
            )
        raise FrontAuthError(
            f"Front refused to {doing} for connection {self.conn_id!r}: {response.status_code} {error}. "
            "Check the client id (login) and client secret (password) of the connection.".replace("  ", " ")
        )


def _lifetime(body: dict[str, Any]) -> float:
    """Seconds the access token lives: ``expires_in``, else ``expires_at`` (epoch s) from now, else an hour."""
    for name, to_seconds in (("expires_in", float), ("expires_at", lambda v: float(v) - time.time())):
        try:
            value = to_seconds(body[name])
        except (KeyError, TypeError, ValueError):
            continue
        if value > 0:
            return value
    return DEFAULT_LIFETIME


class TokenSource:
    """The access token for one hook, shared by its threads; the store makes a refresh single-flight.

    The token in hand is used until ``margin`` seconds before expiry (capped at half its lifetime, so short-lived
    tokens do not refresh on every call); then, or when Front answers 401 to it, the store's row is locked and
    refreshed unless another worker already did. ``clock`` is monotonic seconds.
    """

    def __init__(
        self,
        key: str,
        store: TokenStore,
        client: OAuthClient,
        cipher: TokenCipher,
        margin: float,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.key = key
        self.store = store
        self.client = client
        self.cipher = cipher
        self.margin = margin
        self._clock = clock
        self._lock = threading.Lock()
        self._token: str | None = None
        self._deadline = 0.0
        self.refreshes = 0  # refreshes this source did itself (not those it read from another worker)

    def access_token(self) -> str:
        """A token with more than the margin left (refreshing it first if needed)."""
        with self._lock:
            if self._token is None or self._clock() >= self._deadline:
                self._load(stale=None)
            assert self._token is not None
            return self._token

    def after_unauthorized(self, sent: str | None) -> None:
        """Front answered 401 to ``sent`` (an ``Authorization`` header): refresh unless someone already did."""
        token = sent[7:] if sent and sent.lower().startswith("bearer ") else sent
        with self._lock:
            self._load(stale=token)

    def _load(self, stale: str | None) -> None:
        row = self._row(self.store.read(self.key))
        if self._needs_refresh(row, stale):
            row = self._row(self.store.renew(self.key, lambda locked: self._renewal(self._row(locked), stale)))
        self._accept(row)

    def _row(self, found: tuple | None) -> StoredTokens:
        if found is None:
            raise FrontOAuthReconnect(
                f"Connection {self.client.conn_id!r} uses OAuth but Front is not connected: "
                f"connect Front at {self.client.reconnect_url}"
            )
        return StoredTokens(*found)

    def _needs_refresh(self, row: StoredTokens, stale: str | None) -> bool:
        if row.status != "connected":
            raise FrontOAuthReconnect(
                f"{row.message or 'Front refused the refresh token'} (connection "
                f"{self.client.conn_id!r}): reconnect Front at {self.client.reconnect_url}"
            )
        if row.seconds_left <= min(self.margin, row.lifetime / 2):
            return True
        return stale is not None and self._open(row.access) == stale

    def _renewal(self, row: StoredTokens, stale: str | None) -> Renewal | None:
        """Under the row lock: None when another worker refreshed meanwhile, else the new pair (one POST)."""
        if not self._needs_refresh(row, stale):
            return None
        old = self._open(row.refresh)
        grant = self.client.refresh(old)
        self.refreshes += 1
        log.info(
            "OAuth: refreshed the access token of connection %r (generation %d -> %d, lives %.0f s)",
            self.client.conn_id,
            row.generation,
            row.generation + 1,
            grant.expires_in,
        )
        return Renewal(
            self.cipher.seal(grant.access_token),
            self.cipher.seal(grant.refresh_token),
            grant.expires_in,
            self.cipher.fingerprint(old),
        )

    def _accept(self, row: StoredTokens) -> None:
        if row.status != "connected":
            self._needs_refresh(row, None)  # raises the reconnect error
        self._token = self._open(row.access)
        self._deadline = self._clock() + row.seconds_left - min(self.margin, row.lifetime / 2)

    def _open(self, blob: bytes) -> str:
        return self.cipher.open(blob, self.client.conn_id, self.client.reconnect_url)


def reconnect_url() -> str:
    """The Front sync page on this Airflow (``[api] base_url``), where an admin connects Front again."""
    from airflow.configuration import conf

    base = (conf.get("api", "base_url", fallback="") or "http://localhost:8080").rstrip("/")
    return f"{base}/front-sync/"


def oauth_client(settings: Any, session_factory: Callable[[], requests.Session] = requests.Session) -> OAuthClient:
    """The token endpoint client of an OAuth connection's settings (``HookSettings``)."""
    return OAuthClient(
        settings.oauth_url,
        settings.client_id,
        settings.token,
        conn_id=settings.conn_id,
        reconnect_url=reconnect_url(),
        allowed_hosts=settings.allowed_hosts,
        base_url=settings.base_url,
        timeout=settings.timeout,
        session_factory=session_factory,
    )


def token_source(
    settings: Any,
    store: TokenStore | None,
    *,
    clock: Callable[[], float] = time.monotonic,
    session_factory: Callable[[], requests.Session] = requests.Session,
) -> TokenSource:
    """The TokenSource of an OAuth connection; FrontConfigError when the caller gave no token store."""
    if store is None:
        raise FrontConfigError(
            f"Connection {settings.conn_id!r} uses OAuth (auth: oauth): its tokens live in the warehouse, "
            "but this caller opened the hook without a token store; use "
            "front_sync.sync.front_client.open_front_hook (or pass token_store=PostgresTokenStore(...))."
        )
    return TokenSource(
        settings.conn_id,
        store,
        oauth_client(settings, session_factory),
        TokenCipher(settings.token, settings.conn_id),
        settings.oauth_refresh_margin_seconds,
        clock=clock,
    )


class OAuthBearerAuth(BearerTokenAuth):
    """``Authorization: Bearer <access token>`` from a TokenSource (refreshed as it nears expiry), only for URLs
    the token may go to."""

    def __init__(self, source: TokenSource, base_url: str, allowed_hosts: tuple[str, ...], conn_id: str) -> None:
        super().__init__("", base_url, allowed_hosts, conn_id)
        self.source = source

    def token(self) -> str:
        return self.source.access_token()
