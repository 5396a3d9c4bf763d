"""Front's OAuth server, simulated: authorization codes, access tokens with a lifetime, rotating refresh tokens.

Like Front (dev.frontapp.com/docs/oauth): authorization-code grant only; ``POST /oauth/token`` with HTTP Basic
``client_id:client_secret`` and ``grant_type=authorization_code|refresh_token``. A code works once; each refresh
returns a new refresh token (``rotate``) and retires the one presented, so presenting a retired (or revoked)
refresh token answers ``invalid_grant``. The statistics say how often each refresh token was presented, so a
test can prove a client never sends a rotated one again. OAuth access tokens see shared inboxes only.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

DEFAULT_CLIENT_ID = "front-sync-simulator"
DEFAULT_CLIENT_SECRET = "simulator-client-secret"
DEFAULT_ACCESS_TOKEN_LIFETIME = 3600.0  # Front: one hour
CODE_LIFETIME = 600.0


class OAuthError(Exception):
    """An OAuth error answer: ``{"error": code, "error_description": ...}`` with ``status``."""

    def __init__(self, status: int, code: str, description: str) -> None:
        super().__init__(description)
        self.status, self.code, self.description = status, code, description


@dataclass
class _Grant:
    """One authorization (an admin connecting the app): its current refresh token and live access tokens."""

    refresh_token: str
    revoked: bool = False


@dataclass
class OAuthServer:
    """The simulated OAuth server of one simulator; thread-safe."""

    client_id: str = DEFAULT_CLIENT_ID
    client_secret: str = DEFAULT_CLIENT_SECRET
    access_token_lifetime: float = DEFAULT_ACCESS_TOKEN_LIFETIME
    rotate: bool = True
    auto_approve: bool = True
    clock: Callable[[], float] = time.time
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _codes: dict[str, tuple[str, float]] = field(default_factory=dict, repr=False)
    _access: dict[str, tuple[_Grant, float]] = field(default_factory=dict, repr=False)
    _refresh: dict[str, _Grant] = field(default_factory=dict, repr=False)
    _retired: set[str] = field(default_factory=set, repr=False)
    _presented: Counter = field(default_factory=Counter, repr=False)
    _counts: Counter = field(default_factory=Counter, repr=False)

    def configure(self, **settings: Any) -> dict[str, Any]:
        """Change ``access_token_lifetime`` (seconds), ``rotate``, ``auto_approve``; returns the settings."""
        with self._lock:
            if "access_token_lifetime" in settings:
                lifetime = float(settings.pop("access_token_lifetime"))
                if not lifetime > 0:
                    raise ValueError("access_token_lifetime must be > 0 seconds")
                self.access_token_lifetime = lifetime
            for name in ("rotate", "auto_approve"):
                if name in settings:
                    setattr(self, name, bool(settings.pop(name)))
            if settings:
                raise ValueError(f"unknown OAuth settings: {sorted(settings)}")
            return self.settings()

    def settings(self) -> dict[str, Any]:
        return {
            "client_id": self.client_id,
            "access_token_lifetime": self.access_token_lifetime,
            "rotate": self.rotate,
            "auto_approve": self.auto_approve,
        }

    # -- the authorize page and the token endpoint --------------------------------------------------

    def authorize(self, client_id: str, redirect_uri: str) -> str:
        """An admin approved: a one-time code for ``redirect_uri`` (checked again at the exchange)."""
        if client_id != self.client_id:
            raise OAuthError(400, "invalid_client", "unknown client_id")
        if not redirect_uri:
            raise OAuthError(400, "invalid_request", "redirect_uri is required")
        code = f"code_{secrets.token_urlsafe(16)}"
        with self._lock:
            self._codes[code] = (redirect_uri, self.clock() + CODE_LIFETIME)
            self._counts["authorized"] += 1
        return code

    def token(self, client: tuple[str, str] | None, form: dict[str, str]) -> dict[str, Any]:
        """``POST /oauth/token``: a new token pair for a code or a refresh token, or an OAuthError."""
        if client != (self.client_id, self.client_secret):
            raise OAuthError(401, "invalid_client", "client authentication failed (HTTP Basic client_id:secret)")
        grant_type = form.get("grant_type")
        with self._lock:
            if grant_type == "authorization_code":
                grant = self._take_code(form.get("code", ""), form.get("redirect_uri", ""))
                self._counts["code_exchanges"] += 1
            elif grant_type == "refresh_token":
                grant = self._take_refresh(form.get("refresh_token", ""))
                self._counts["refreshes"] += 1
            else:
                raise OAuthError(
                    400, "unsupported_grant_type", "grant_type must be authorization_code or refresh_token"
                )
            return self._issue(grant)

    def _take_code(self, code: str, redirect_uri: str) -> _Grant:
        found = self._codes.pop(code, None)  # a code works once, even when the exchange then fails
        if found is None or found[1] < self.clock():
            self._counts["invalid_grant"] += 1
            raise OAuthError(400, "invalid_grant", "the authorization code is invalid, expired or already used")
        if redirect_uri and redirect_uri != found[0]:
            self._counts["invalid_grant"] += 1
            raise OAuthError(400, "invalid_grant", "redirect_uri does not match the authorization request")
        return _Grant(refresh_token="")

    def _take_refresh(self, refresh_token: str) -> _Grant:
        self._presented[refresh_token] += 1
        self._counts["refresh_requests"] += 1
        grant = self._refresh.get(refresh_token)
        if grant is None or grant.revoked:
            self._counts["invalid_grant"] += 1
            reason = "was rotated and already used" if refresh_token in self._retired else "is revoked or unknown"
            raise OAuthError(400, "invalid_grant", f"the refresh token {reason}")
        if self.rotate:
            del self._refresh[refresh_token]
            self._retired.add(refresh_token)
        return grant

    def _issue(self, grant: _Grant) -> dict[str, Any]:
        now = self.clock()
        access = f"oat_{secrets.token_urlsafe(24)}"
        self._access[access] = (grant, now + self.access_token_lifetime)
        if not grant.refresh_token or self.rotate:
            grant.refresh_token = f"ort_{secrets.token_urlsafe(24)}"
            self._refresh[grant.refresh_token] = grant
        self._counts["access_tokens_issued"] += 1
        return {
            "access_token": access,
            "refresh_token": grant.refresh_token,
            "token_type": "Bearer",
            "expires_in": self.access_token_lifetime,
            "expires_at": now + self.access_token_lifetime,
        }

    # -- the gateway's check, revocation, statistics ------------------------------------------------

    def check_access(self, token: str) -> str | None:
        """None when ``token`` is a live OAuth access token; else why not ("expired", "revoked", "unknown")."""
        with self._lock:
            found = self._access.get(token)
            if found is None:
                return "unknown"
            grant, expires_at = found
            if grant.revoked:
                return "revoked"
            if expires_at <= self.clock():
                self._counts["expired_token_401s"] += 1
                return "expired"
            self._counts["oauth_requests"] += 1
            return None

    def is_access_token(self, token: str) -> bool:
        with self._lock:
            return token in self._access

    def revoke(self) -> int:
        """Revoke every grant (an admin uninstalled the app): its tokens answer 401 and ``invalid_grant``."""
        with self._lock:
            grants = {id(g): g for g in self._refresh.values()} | {id(g): g for g, _ in self._access.values()}
            for grant in grants.values():
                grant.revoked = True
            self._counts["revocations"] += 1
            return len(grants)

    def stats(self) -> dict[str, Any]:
        """Counters, and how many refresh tokens were presented more than once (a rotated one sent again)."""
        with self._lock:
            return {
                **{
                    k: 0
                    for k in (
                        "authorized",
                        "code_exchanges",
                        "refreshes",
                        "invalid_grant",
                        "access_tokens_issued",
                        "expired_token_401s",
                        "oauth_requests",
                        "revocations",
                        "refresh_requests",
                    )
                },
                **self._counts,
                "refresh_tokens_presented": len(self._presented),
                "refresh_tokens_presented_twice": sum(1 for n in self._presented.values() if n > 1),
            }

    def reset_stats(self) -> None:
        with self._lock:
            self._counts.clear()
            self._presented.clear()
