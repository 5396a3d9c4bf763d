"""The "Front sync" page in the Airflow UI: a FastAPI app (page, its assets and data.json) behind Airflow's login.

The api-server serves the app under /front-sync/ and the UI shows it in its navigation (Browse > Front sync) as an
external view, inside the UI. Figures come from the warehouse (front_sync.ops.dashboard, read only); the page's
admin buttons call Airflow's own REST API from the browser with the user's session, so Airflow checks the
user's permissions and records the trigger. Restart the api-server after changing this file.
"""

from __future__ import annotations

import json
import logging
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from airflow.api_fastapi.core_api.security import requires_authenticated
from airflow.plugins_manager import AirflowPlugin
from fastapi import Depends, FastAPI, HTTPException
from fastapi.responses import FileResponse, JSONResponse

from front_sync.config import (
    CONFIG_VARIABLE,
    WAREHOUSE_CONN_ID,
    ConfigError,
    SyncConfig,
    Tenant,
    config_key,
    schedule,
    tenants,
)
from front_sync.ops.alerts import RUNBOOK
from front_sync.ops.dashboard import DEFAULT_STALE_SECONDS, jsonable, snapshot

log = logging.getLogger(__name__)

URL_PREFIX = "/front-sync"
INCREMENTAL_DAG = "front_sync_incremental"  # the hourly DAG (a tenant's: front_sync_incremental__<name>)
TRIGGERED_DAGS = ("front_sync_incremental", "front_sync_messages", "front_sync_backfill")  # the page's buttons
REALTIME_ANCHOR = "real-time-webhooks"  # docs/runbook.md: setting up Front's webhooks
ASSETS = Path(__file__).resolve().parent / "front_sync_dashboard"
# The only files served: nothing else in the folder (or outside it) can be asked for by name.
ASSET_TYPES = {"dashboard.js": "text/javascript", "charts.js": "text/javascript", "dashboard.css": "text/css"}
# No inline scripts, nothing from other origins; framing only by the Airflow UI itself (same origin).
HEADERS = {
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; frame-ancestors 'self'",
}

app = FastAPI(
    title="Front sync dashboard",
    docs_url=None,
    redoc_url=None,
    openapi_url=None,
    dependencies=[Depends(requires_authenticated())],
)


def page_tenant(name: str | None) -> Tenant:
    """The tenant the page shows: the one asked for by name, else the one whose warehouse is front_warehouse (the
    single default), else the first of the tenant list; an unknown name is a 404 naming the known ones."""
    try:
        found = tenants()
    except ConfigError as exc:
        raise HTTPException(503, f"The tenant list cannot be read: {exc}") from None
    if name:
        for tenant in found:
            if tenant.label == name:
                return tenant
        raise HTTPException(404, f"No tenant named {name!r}; tenants: {[t.label for t in found]}")
    return next((t for t in found if t.warehouse_conn_id == WAREHOUSE_CONN_ID), found[0])


def tenant_info(tenant: Tenant) -> dict[str, Any]:
    """The page's header and buttons: the tenant's name, its connections, its DAG ids and the other tenants."""
    return {
        "tenant": {
            "name": tenant.label,
            "warehouse_conn_id": tenant.warehouse_conn_id,
            "front_conn_id": tenant.front_conn_id,
        },
        "tenants": [t.label for t in tenants()],
        "connection_id": tenant.front_conn_id,
        "dag_ids": {dag: tenant.dag_id(dag) for dag in TRIGGERED_DAGS},
    }


def page_settings(tenant: Tenant | None = None) -> dict[str, Any]:
    """What the page needs from front_sync.config, with the tenant's override (thresholds, runbook link), and any
    config error."""
    from airflow.models import Variable  # the api-server reads the metadata DB directly

    name = tenant.name if tenant else None
    override = Variable.get(config_key(name), default_var=None) if name else None
    try:
        config = SyncConfig.from_json(
            Variable.get(CONFIG_VARIABLE, default_var=None), override, override_variable=config_key(name)
        )
        error = None
    except ConfigError as exc:
        config, error = SyncConfig(), str(exc)
    return {
        "stale_seconds": int(config.stale_after_minutes) * 60 or DEFAULT_STALE_SECONDS,
        "directory_seconds": int(config.directory_refresh_minutes) * 60,
        "runbook_url": config.runbook_url,
        "config_error": error,
    }


def incremental_state(dag_id: str = INCREMENTAL_DAG) -> tuple[dict[str, dict[str, Any]], dict[str, Any]]:
    """Airflow's view of the (tenant's) hourly DAG: per resource, its task in the newest run (a task whose upstream
    failed writes no sync_logs row: only Airflow knows), and the schedule (paused, next run)."""
    from airflow.models import DagModel, DagRun, TaskInstance
    from airflow.utils.session import create_session

    states: dict[str, dict[str, Any]] = {}
    with create_session() as session:
        dag = session.query(DagModel).filter(DagModel.dag_id == dag_id).one_or_none()
        run = session.query(DagRun).filter(DagRun.dag_id == dag_id).order_by(DagRun.run_after.desc()).first()
        if run is not None:
            for ti in session.query(TaskInstance).filter(
                TaskInstance.dag_id == dag_id, TaskInstance.run_id == run.run_id
            ):
                if ti.task_id.startswith("sync_"):
                    states[ti.task_id.removeprefix("sync_")] = {
                        "state": None if ti.state is None else str(ti.state),
                        "dag_id": ti.dag_id,
                        "run_id": ti.run_id,
                        "task_id": ti.task_id,
                        "try_number": ti.try_number,
                        "end_date": jsonable(ti.end_date),
                    }
        schedule = {
            "dag_id": dag_id,
            "paused": None if dag is None else bool(dag.is_paused),
            "next_run_at": None if dag is None or dag.is_paused else jsonable(next_run(dag)),
        }
    return states, schedule


def next_run(dag) -> Any:
    """When the scheduler starts the DAG's next run (Airflow's own figure, else from the cron schedule)."""
    if getattr(dag, "next_dagrun_create_after", None):
        return dag.next_dagrun_create_after
    from croniter import croniter

    return croniter(schedule("incremental"), datetime.now(UTC)).get_next(datetime)


def read_snapshot(tenant_name: str | None = None) -> dict[str, Any]:
    """The page's figures of one tenant (page_tenant) from its warehouse connection; a warehouse that cannot be
    read is a 503 naming the tenant and its connection."""
    import psycopg
    from airflow.exceptions import AirflowNotFoundException

    from front_sync.warehouse.connection import warehouse_connection

    tenant = page_tenant(tenant_name)
    settings = page_settings(tenant)
    try:
        conn = warehouse_connection(tenant.warehouse_conn_id)
    except AirflowNotFoundException:
        raise HTTPException(
            503, f"Tenant {tenant.label}: its warehouse connection {tenant.warehouse_conn_id} is not defined"
        ) from None
    except psycopg.Error as exc:
        # The driver's message can name hosts and users: the log gets it, the page only the class.
        log.warning("Front sync dashboard: cannot connect to the warehouse: %s", exc)
        raise HTTPException(
            503, f"Cannot connect to the warehouse ({type(exc).__name__}); see the api-server log"
        ) from None
    states, dag_schedule = incremental_state(tenant.dag_id(INCREMENTAL_DAG))
    try:
        data = snapshot(
            conn,
            stale_seconds=settings["stale_seconds"],
            task_states=states,
            directory_seconds=settings["directory_seconds"],
        )
    finally:
        conn.close()
    for alert in data["alerts"]:
        alert["runbook"] = runbook_link(settings["runbook_url"], alert["alert"])
    data.update(config_error=settings["config_error"], schedule=dag_schedule, **tenant_info(tenant))
    data["realtime"]["runbook"] = f"{settings['runbook_url']}#{REALTIME_ANCHOR}"
    return data


def runbook_link(runbook_url: str, alert: str) -> str | None:
    """The runbook section of an alert kind (front_sync.ops.alerts.RUNBOOK), None for a kind it does not know."""
    found = RUNBOOK.get(alert)
    return None if found is None else f"{runbook_url}#{found.anchor}"


class FrontConnectionTestPort:
    """ASGI middleware for POST /api/v2/connections/test: the connection list's Test button sends `port: 0` for
    a connection whose port is empty (Number(null) in the UI), and the API then refuses to test the stored
    token against "another" port. A Front connection has no port (its host is the whole API URL): for
    conn_type front a 0 port is sent as "no port", so the button tests the stored connection."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] != "POST"
            or not scope["path"].endswith("/api/v2/connections/test")
        ):
            await self.app(scope, receive, send)
            return
        chunks, more = [], True
        while more:
            message = await receive()
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        body = front_port_fixed(b"".join(chunks))
        sent = False

        async def replay():
            nonlocal sent
            if sent:
                return await receive()
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        headers = [(k, v) for k, v in scope["headers"] if k.lower() != b"content-length"]
        headers.append((b"content-length", str(len(body)).encode()))
        await self.app({**scope, "headers": headers}, replay, send)


def front_port_fixed(body: bytes) -> bytes:
    """The test request's body, with `port: 0` dropped when it tests a Front connection (anything else as is)."""
    try:
        payload = json.loads(body)
    except ValueError:
        return body
    if not isinstance(payload, dict) or payload.get("conn_type") != "front" or payload.get("port") not in (0, "0"):
        return body
    payload.pop("port")
    return json.dumps(payload).encode()


@app.get("/", include_in_schema=False)
def page() -> FileResponse:
    """The dashboard page (static HTML; dashboard.js fills it from data.json)."""
    return FileResponse(ASSETS / "index.html", media_type="text/html", headers=HEADERS)


@app.get("/assets/{name}", include_in_schema=False)
def asset(name: str) -> FileResponse:
    """dashboard.js, charts.js or dashboard.css, vendored beside this file (the page loads nothing from elsewhere)."""
    if name not in ASSET_TYPES:
        raise HTTPException(404, "Not found")
    return FileResponse(ASSETS / name, media_type=ASSET_TYPES[name], headers=HEADERS)


@app.get("/data.json")
def data(tenant: str | None = None) -> JSONResponse:
    """One tenant's per resource freshness and counts, 14 days of runs, quota, the last errors, the pending queue
    and the real-time panel (`?tenant=<name>`; without it, the tenant whose warehouse is front_warehouse)."""
    return JSONResponse(read_snapshot(tenant), headers={"Cache-Control": "no-store"})


# What our params' patterns mean, for the trigger form's error (jsonschema would print the regex and its schema).
PATTERN_WORDS = {
    "^cnv_[0-9a-z]+$": "a Front conversation id (cnv_ and lower-case letters or digits)",
    "^inb_[0-9a-z]+$": "a Front inbox id (inb_ and lower-case letters or digits)",
}
TRIGGER_PATH = re.compile(r"/api/v2/dags/front_sync[\w.-]*/dagRuns$")


def readable_param_error(body: bytes) -> bytes:
    """A 400 of Airflow's trigger endpoint for a front_sync DAG, without jsonschema's dump of the schema and
    instance (its first paragraph only), our patterns said in words."""
    try:
        payload = json.loads(body)
    except ValueError:
        return body
    detail = payload.get("detail") if isinstance(payload, dict) else None
    if not isinstance(detail, str) or not detail.startswith("Invalid input for param"):
        return body
    text = detail.split("\n\nFailed validating", 1)[0].strip()
    for pattern, words in PATTERN_WORDS.items():
        text = text.replace(f"does not match {pattern!r}", f"is not {words}")
    return json.dumps({**payload, "detail": text}).encode()


class ReadableTriggerErrors:
    """ASGI middleware: Airflow answers a front_sync DAG trigger with bad params with jsonschema's whole error
    (the schema and the instance, printed as Python); the form shows that dump. Only its first paragraph is
    kept, our id patterns in words. Other DAGs and other answers pass through unchanged."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or not TRIGGER_PATH.search(scope["path"]):
            await self.app(scope, receive, send)
            return
        start: dict[str, Any] = {}
        chunks: list[bytes] = []

        async def capture(message) -> None:
            if message["type"] == "http.response.start":
                if message["status"] != 400:
                    await send(message)
                    return
                start.update(message)
            elif message["type"] == "http.response.body" and start:
                chunks.append(message.get("body", b""))
                if not message.get("more_body", False):
                    body = readable_param_error(b"".join(chunks))
                    headers = [(k, v) for k, v in start["headers"] if k.lower() != b"content-length"]
                    headers.append((b"content-length", str(len(body)).encode()))
                    await send({**start, "headers": headers})
                    await send({"type": "http.response.body", "body": body})
            else:
                await send(message)

        await self.app(scope, receive, capture)


class FrontSyncPlugin(AirflowPlugin):
    """Registers the dashboard app with the api-server, its page in the UI's navigation, and the middleware
    that lets the connection list's Test button test Front connections."""

    name = "front_sync"
    fastapi_apps = [{"app": app, "url_prefix": URL_PREFIX, "name": "Front sync"}]
    fastapi_root_middlewares = [
        {"middleware": FrontConnectionTestPort, "args": [], "kwargs": {}, "name": "Front connection test: no port"},
        {"middleware": ReadableTriggerErrors, "args": [], "kwargs": {}, "name": "Front sync: readable param errors"},
    ]
    external_views = [
        {
            "name": "Front sync",
            "href": "front-sync/",
            "url_route": "front-sync",
            "destination": "nav",
            "category": "browse",
        }
    ]
