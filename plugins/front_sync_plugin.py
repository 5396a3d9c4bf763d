"""The "Front sync" page in the Airflow UI: a FastAPI app (page, its assets and data.json) behind Airflow's login.

The api-server serves the app under /front-sync/ and the UI shows it in its navigation (Browse > Front sync) as an
external view, inside the UI. Figures come from the warehouse (front_sync.ops.dashboard, read only); the page's
admin buttons call Airflow's own REST API from the browser with the user's session, so Airflow checks the
user's permissions and records the trigger. Restart the api-server after changing this file.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from airflow.api_fastapi.core_api.security import requires_authenticated
from airflow.plugins_manager import AirflowPlugin
from fastapi import Depends, FastAPI, HTTPException
from fastapi.responses import FileResponse, JSONResponse

from front_sync.config import CONFIG_VARIABLE, WAREHOUSE_CONN_ID, ConfigError, SyncConfig
from front_sync.ops.dashboard import DEFAULT_STALE_SECONDS, snapshot

log = logging.getLogger(__name__)

URL_PREFIX = "/front-sync"
ASSETS = Path(__file__).resolve().parent / "front_sync_dashboard"
# The only files served: nothing else in the folder (or outside it) can be asked for by name.
ASSET_TYPES = {"dashboard.js": "text/javascript", "dashboard.css": "text/css"}
# No inline scripts, nothing from other origins; framing only by the Airflow UI itself (same origin).
HEADERS = {
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; frame-ancestors 'self'",
}

app = FastAPI(title="Front sync dashboard", docs_url=None, redoc_url=None, openapi_url=None,
              dependencies=[Depends(requires_authenticated())])


def stale_after() -> tuple[int, str | None]:
    """The staleness threshold in seconds (front_sync.config stale_after_minutes, default 2 h) and any config error."""
    from airflow.models import Variable  # the api-server reads the metadata DB directly

    try:
        config = SyncConfig.from_json(Variable.get(CONFIG_VARIABLE, default_var=None))
    except ConfigError as exc:
        return DEFAULT_STALE_SECONDS, str(exc)
    minutes = getattr(config, "stale_after_minutes", None)
    return (int(minutes) * 60 if minutes else DEFAULT_STALE_SECONDS), None


def read_snapshot() -> dict[str, Any]:
    """The page's figures from the front_warehouse connection; a warehouse that cannot be read is a 503."""
    import psycopg
    from airflow.exceptions import AirflowNotFoundException

    from front_sync.warehouse.connection import warehouse_connection

    seconds, config_error = stale_after()
    try:
        conn = warehouse_connection()
    except AirflowNotFoundException:
        # Several tenants: the page shows one warehouse, the tenant whose warehouse_conn_id is front_warehouse.
        raise HTTPException(503, f"The {WAREHOUSE_CONN_ID} connection is not defined (with several Front companies "
                                 f"the page shows only the tenant whose warehouse is {WAREHOUSE_CONN_ID})") from None
    except psycopg.Error as exc:
        # The driver's message can name hosts and users: the log gets it, the page only the class.
        log.warning("Front sync dashboard: cannot connect to the warehouse: %s", exc)
        raise HTTPException(503, f"Cannot connect to the warehouse ({type(exc).__name__}); "
                                 "see the api-server log") from None
    try:
        data = snapshot(conn, stale_seconds=seconds)
    finally:
        conn.close()
    data["config_error"] = config_error
    return data


@app.get("/", include_in_schema=False)
def page() -> FileResponse:
    """The dashboard page (static HTML; dashboard.js fills it from data.json)."""
    return FileResponse(ASSETS / "index.html", media_type="text/html", headers=HEADERS)


@app.get("/assets/{name}", include_in_schema=False)
def asset(name: str) -> FileResponse:
    """dashboard.js or dashboard.css, vendored beside this file (the page loads nothing from elsewhere)."""
    if name not in ASSET_TYPES:
        raise HTTPException(404, "Not found")
    return FileResponse(ASSETS / name, media_type=ASSET_TYPES[name], headers=HEADERS)


@app.get("/data.json")
def data() -> JSONResponse:
    """Per resource freshness and counts, 14 days of runs, quota, the last errors and the pending queue."""
    return JSONResponse(read_snapshot(), headers={"Cache-Control": "no-store"})


class FrontSyncPlugin(AirflowPlugin):
    """Registers the dashboard app with the api-server and its page in the UI's navigation."""

    name = "front_sync"
    fastapi_apps = [{"app": app, "url_prefix": URL_PREFIX, "name": "Front sync"}]
    external_views = [{
        "name": "Front sync",
        "href": "front-sync/",
        "url_route": "front-sync",
        "destination": "nav",
        "category": "browse",
    }]
