""" "Connect Front" (OAuth for Front apps): a FastAPI app under /front-sync-oauth/, behind Airflow's login.

``/connect`` sends the user to Front's authorize page with a ``state`` bound to this browser session and user (an
HttpOnly cookie holds it with a MAC), ``/callback`` checks it, exchanges the code and stores the tokens encrypted
in the warehouse, then returns to the Front sync page. Both need permission to edit connections. ``/status.json``
and ``/oauth.js`` let the dashboard show whether Front is connected; no token ever leaves the warehouse.
Restart the api-server after changing this file.
"""

from __future__ import annotations

import html
import logging
from pathlib import Path

from airflow.api_fastapi.core_api.security import GetUserDep, requires_access_connection, requires_authenticated
from airflow.plugins_manager import AirflowPlugin
from fastapi import Depends, FastAPI, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response

from front_sync.config import FRONT_CONN_ID
from front_sync.ops.dashboard import jsonable

log = logging.getLogger(__name__)

URL_PREFIX = "/front-sync-oauth"
COOKIE = "front_sync_oauth_state"
SCRIPT = Path(__file__).resolve().parent / "front_sync_dashboard" / "oauth.js"
HEADERS = {
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'self'; frame-ancestors 'self'",
}
may_edit_connections = Depends(requires_access_connection("PUT"))

app = FastAPI(
    title="Front sync OAuth",
    docs_url=None,
    redoc_url=None,
    openapi_url=None,
    dependencies=[Depends(requires_authenticated())],
)


def _user(user) -> str:
    return str(user.get_id() or user.get_name())


def _dashboard(request: Request, note: str) -> str:
    """The Front sync page next to this app (whatever path Airflow is served under)."""
    return f"{request.url.path.rsplit(URL_PREFIX, 1)[0]}/front-sync/?oauth={note}"


def _problem(request: Request, status: int, text: str) -> HTMLResponse:
    back = html.escape(_dashboard(request, "failed"))
    body = (
        f"<!doctype html><title>Connect Front</title><h1>Front was not connected</h1>"
        f"<p id='problem'>{html.escape(text)}</p><p><a href='{back}'>Back to the Front sync page</a></p>"
    )
    return HTMLResponse(body, status, headers=HEADERS)


@app.get("/connect", dependencies=[may_edit_connections])
def connect(request: Request, user: GetUserDep, conn_id: str = FRONT_CONN_ID) -> Response:
    """Send the admin to Front's authorize page; the state cookie binds the answer to this session."""
    from front_sync.sync import oauth_connect

    try:
        url, cookie = oauth_connect.start(conn_id, _user(user))
    except Exception as exc:  # noqa: BLE001 - a misconfigured connection: say what to fix
        return _problem(request, 400, str(exc))
    response = RedirectResponse(url, 302, headers={"Cache-Control": "no-store"})
    response.set_cookie(
        COOKIE,
        f"{conn_id}|{cookie}",
        max_age=oauth_connect.STATE_MAX_AGE,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        path=URL_PREFIX,
    )
    return response


@app.get("/callback", dependencies=[may_edit_connections])
def callback(request: Request, user: GetUserDep, code: str = "", state: str = "", error: str = "") -> Response:
    """Front's redirect back: check the state against this session, exchange the code once, store the tokens."""
    from front_sync.sync import oauth_connect

    conn_id, _, cookie = request.cookies.get(COOKIE, "").partition("|")
    if error:
        return _problem(request, 400, f"Front answered {error[:60]!r}: the app was not approved.")
    try:
        oauth_connect.check_state(conn_id or FRONT_CONN_ID, state, cookie, _user(user))
        connected = oauth_connect.complete(conn_id, code, _user(user))
    except oauth_connect.OAuthStateError as exc:
        return _problem(request, 403, str(exc))
    except Exception as exc:  # noqa: BLE001 - the messages name the fix and never a token
        log.warning("Connect Front failed for %r: %s", conn_id, type(exc).__name__)
        return _problem(request, 400, str(exc))
    log.info("Front connected for %r by %s (company %r)", connected.conn_id, _user(user), connected.company)
    response = RedirectResponse(_dashboard(request, "connected"), 303, headers={"Cache-Control": "no-store"})
    response.delete_cookie(COOKIE, path=URL_PREFIX)
    return response


@app.get("/status.json")
def status() -> JSONResponse:
    """Each OAuth connection's state (connected / reconnect_needed, when, by whom, refreshes): no tokens."""
    from front_sync.sync import oauth_connect

    try:
        rows = oauth_connect.status()
    except Exception as exc:  # noqa: BLE001 - no warehouse yet: nothing connected
        log.warning("Front sync OAuth status unavailable: %s", type(exc).__name__)
        rows = []
    return JSONResponse([{k: jsonable(v) for k, v in row.items()} for row in rows], headers=HEADERS)


@app.get("/oauth.js", include_in_schema=False)
def script() -> FileResponse:
    """The dashboard's "Connect Front" line: fills itself from status.json."""
    return FileResponse(SCRIPT, media_type="text/javascript", headers=HEADERS)


class FrontSyncOAuthPlugin(AirflowPlugin):
    """Registers the Connect Front app with the api-server."""

    name = "front_sync_oauth"
    fastapi_apps = [{"app": app, "url_prefix": URL_PREFIX, "name": "Front sync OAuth"}]
