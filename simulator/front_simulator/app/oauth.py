"""Front's OAuth endpoints (the authorize page and the token endpoint) and their control API.

``GET /oauth/authorize`` approves at once (``auto_approve``, for tests) or shows a page with an "Authorize"
button, then redirects to ``redirect_uri`` with ``code`` and the client's ``state``. ``POST /oauth/token``
answers like Front: JSON token pair, or ``{"error": "invalid_grant", ...}`` with 400.
"""

from __future__ import annotations

import base64
import binascii
import html
from urllib.parse import parse_qsl, urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from front_simulator import CONTROL_PREFIX
from front_simulator.app.control import body_of, sim
from front_simulator.app.http import ApiError, json_response
from front_simulator.oauth import OAuthError

OAUTH_PREFIX = "/oauth"
router = APIRouter()

_PAGE = """<!doctype html><html><head><title>Authorize front-sync</title></head><body>
<h1>Authorize {client}</h1><p>front-sync asks to read your company's shared inboxes.</p>
<form method="post" action="/oauth/authorize">{fields}<button type="submit" id="authorize">Authorize</button></form>
</body></html>"""


def _redirect(request: Request, client_id: str, redirect_uri: str, state: str) -> Response:
    try:
        code = sim(request).oauth.authorize(client_id, redirect_uri)
    except OAuthError as exc:
        return json_response({"error": exc.code, "error_description": exc.description}, exc.status)
    separator = "&" if "?" in redirect_uri else "?"
    return RedirectResponse(f"{redirect_uri}{separator}{urlencode({'code': code, 'state': state})}", 302)


@router.get(f"{OAUTH_PREFIX}/authorize")
async def authorize_page(request: Request) -> Response:
    """Front's consent page: approves at once when ``auto_approve`` is on, else asks for a click."""
    params = request.query_params
    if params.get("response_type", "code") != "code":
        return json_response({"error": "unsupported_response_type"}, 400)
    client_id, redirect_uri = params.get("client_id", ""), params.get("redirect_uri", "")
    state = params.get("state", "")
    if sim(request).oauth.auto_approve:
        return _redirect(request, client_id, redirect_uri, state)
    fields = "".join(
        f'<input type="hidden" name="{name}" value="{html.escape(value)}">'
        for name, value in (("client_id", client_id), ("redirect_uri", redirect_uri), ("state", state))
    )
    return HTMLResponse(_PAGE.format(client=html.escape(client_id), fields=fields))


@router.post(f"{OAUTH_PREFIX}/authorize")
async def authorize_approved(request: Request) -> Response:
    """The consent page's "Authorize" button."""
    form = dict(parse_qsl((await request.body()).decode()))
    return _redirect(request, form.get("client_id", ""), form.get("redirect_uri", ""), form.get("state", ""))


def _basic_client(request: Request) -> tuple[str, str] | None:
    header = request.headers.get("authorization", "")
    if not header.lower().startswith("basic "):
        return None
    try:
        client_id, _, secret = base64.b64decode(header[6:].strip(), validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return client_id, secret


@router.post(f"{OAUTH_PREFIX}/token")
async def token(request: Request) -> Response:
    """Exchange a code or a refresh token (form-encoded body, HTTP Basic client credentials)."""
    form = dict(parse_qsl((await request.body()).decode()))
    try:
        return json_response(sim(request).oauth.token(_basic_client(request), form))
    except OAuthError as exc:
        return json_response({"error": exc.code, "error_description": exc.description}, exc.status)


@router.get(f"{CONTROL_PREFIX}/oauth")
async def oauth_stats(request: Request) -> Response:
    """The OAuth settings and counters (refreshes, code exchanges, invalid_grant, expired-token 401s...)."""
    oauth = sim(request).oauth
    return json_response({"settings": oauth.settings(), "stats": oauth.stats()})


@router.post(f"{CONTROL_PREFIX}/oauth/config")
async def oauth_config(request: Request) -> Response:
    """Set ``access_token_lifetime`` (s), ``rotate``, ``auto_approve``; ``{"reset_stats": true}`` zeroes counters."""
    payload = await body_of(request)
    oauth = sim(request).oauth
    if payload.pop("reset_stats", False):
        oauth.reset_stats()
    try:
        return json_response(oauth.configure(**payload))
    except (TypeError, ValueError) as exc:
        raise ApiError(400, "Bad request", str(exc)) from exc


@router.post(f"{CONTROL_PREFIX}/oauth/revoke")
async def oauth_revoke(request: Request) -> Response:
    """Revoke every grant, as an admin uninstalling the app would: tokens answer 401, refreshes invalid_grant."""
    return json_response({"revoked": sim(request).oauth.revoke()})
