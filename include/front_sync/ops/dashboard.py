"""The status dashboard's figures (plugins/front_sync_plugin.py serves them): read-only queries on the warehouse.

Counts and timings only: no record values, message bodies, dead-letter payloads or conflict rows ever leave here,
and error messages (which the sync writes without values) are redacted once more for e-mail addresses and tokens.
"""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from psycopg import sql

from front_sync.config import WAREHOUSE_SCHEMA
from front_sync.ops import webhooks
from front_sync.ops.monitor import DIRECTORY
from front_sync.resources import ALL_RESOURCES, Resource
from front_sync.warehouse.sql_files import load_sql

DEFAULT_STALE_SECONDS = 2 * 3600
HISTORY_DAYS = 14
MAX_RUNS = 2000
MAX_ERRORS = 20
RUN_STRIP = 10  # the last runs shown per resource
ERROR_CHARS = 500
# Above this planner estimate a table's rows are shown as the estimate: an exact count would scan it every load.
EXACT_COUNT_LIMIT = 200_000
STATEMENT_TIMEOUT_MS = 15_000

_REDACTIONS = (
    (re.compile(r"(?i)\bbearer\s+[^\s\"',]+"), "Bearer [redacted]"),
    (
        re.compile(
            r"(?i)\b(token|password|secret|api_key|authorization)(\W{0,3}[:=]\W{0,2})(?!\[redacted\]|bearer\b)"
            r"[^\s\"',]+"
        ),
        r"\1\2[redacted]",
    ),
    (re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+"), "[email]"),
)


def redact(text: str | None) -> str | None:
    """An error message cut to ERROR_CHARS, with e-mail addresses and anything after token words masked."""
    if text is None:
        return None
    for pattern, replacement in _REDACTIONS:
        text = pattern.sub(replacement, text)
    return text if len(text) <= ERROR_CHARS else text[: ERROR_CHARS - 1] + "…"


def freshness(age_seconds: float | None, stale_seconds: int) -> str:
    """green under half the staleness threshold, amber under it, red at or over it; never: no success yet."""
    if age_seconds is None:
        return "never"
    if age_seconds < stale_seconds / 2:
        return "green"
    return "amber" if age_seconds < stale_seconds else "red"


FAILED_STATES = frozenset({"failed", "upstream_failed"})


def health(age_colour: str, last_state: str | None) -> str:
    """The resource's colour from its age *and* its last run: a failed (or upstream_failed) last run is red
    however recent the last success; a run in progress keeps the age's colour."""
    if last_state in FAILED_STATES:
        return "red"
    return age_colour


def status_line(
    resources: list[dict[str, Any]], errors: list[dict[str, Any]], alerts: list[dict[str, Any]]
) -> dict[str, Any]:
    """The page's first line: failing (a resource's last run failed), degraded (late, never synced or an open
    alert), healthy; `since` is when the oldest open problem started (None when healthy)."""
    failing = [r["resource"] for r in resources if r["health"] == "red" and r["last_state"] in FAILED_STATES]
    late = [
        r["resource"] for r in resources if r["health"] in ("amber", "red", "never") and r["resource"] not in failing
    ]
    open_errors = [e["first_seen"] for e in errors if e["resolved_at"] is None]
    if failing:
        state = "failing"
    elif late or alerts:
        state = "degraded"
    else:
        return {"state": "healthy", "since": None, "failing": [], "late": [], "alerts": 0}
    starts = [*open_errors, *(a["since"] or a["opened_at"] for a in alerts)]
    return {
        "state": state,
        "since": min(starts) if starts else None,
        "failing": failing,
        "late": late,
        "alerts": len(alerts),
    }


def jsonable(value: Any) -> Any:
    """A database value as JSON: timestamps as ISO 8601 UTC, numerics as int or float."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def _rows(cur, name: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    cur.execute(load_sql(f"dashboard/{name}"), params or {})
    names = [d.name for d in cur.description]
    return [{n: jsonable(v) for n, v in zip(names, row, strict=True)} for row in cur.fetchall()]


def warehouse_ready(cur) -> bool:
    """Whether the sync has created its tables yet (a fresh warehouse has none until the first run)."""
    cur.execute("SELECT to_regclass('front.sync_logs') IS NOT NULL AND to_regclass('front.sync_pending') IS NOT NULL")
    return bool(cur.fetchone()[0])


def row_count(cur, resource: Resource) -> tuple[int | None, bool]:
    """(live rows of the resource, whether that is the planner's estimate); (None, False) without its table."""
    schema, table = resource.table
    cur.execute(load_sql("dashboard/rows_estimate"), {"table": f"{schema}.{table}"})
    found = cur.fetchone()
    if found is None:
        return None, False
    if found[0] >= EXACT_COUNT_LIMIT and not resource.partition:
        return int(found[0]), True
    partition = (
        sql.SQL(" AND ").join(
            sql.SQL("{} = {}").format(sql.Identifier(column), sql.Literal(value))
            for column, value in resource.partition.items()
        )
        if resource.partition
        else sql.SQL("true")
    )
    cur.execute(load_sql("dashboard/rows_exact", table=sql.Identifier(schema, table), partition=partition))
    return int(cur.fetchone()[0]), False


def _strips(cur, days: int) -> dict[str, list[dict[str, Any]]]:
    """The last RUN_STRIP runs of each resource, oldest first."""
    strips: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for run in _rows(
        cur, "recent_runs", {"resources": [r.name for r in ALL_RESOURCES], "days": days, "per_resource": RUN_STRIP}
    ):
        strips[run.pop("resource")].append(run)
    return strips


_LAST_RUN_FIELDS = (
    "status",
    "sync_type",
    "dag_id",
    "run_id",
    "task_id",
    "try_number",
    "started_at",
    "completed_at",
    "duration_seconds",
    "fetched",
    "created",
    "updated",
    "unchanged",
    "stale",
    "conflicts",
    "dead_lettered",
    "deleted",
    "api_calls",
)


def resource_rows(
    cur,
    stale_seconds: int,
    task_states: dict[str, dict[str, Any]] | None = None,
    directory_seconds: int = 0,
    days: int = HISTORY_DAYS,
) -> list[dict[str, Any]]:
    """One entry per resource: last success, its age against the resource's threshold, the last run (Airflow's
    task state when given: an upstream_failed task writes no sync_logs row), the run strip, rows, open items."""
    open_items: dict[str, dict[str, int]] = defaultdict(dict)
    for item in _rows(cur, "open_items"):
        open_items[item["resource"]][item["kind"]] = item["n"]
    pending: dict[str, int] = defaultdict(int)
    for item in _rows(cur, "pending"):
        pending[item["resource"]] += item["queued"]
    strips = _strips(cur, days)
    entries = []
    for found in _rows(cur, "resources", {"resources": [r.name for r in ALL_RESOURCES]}):
        resource = next(r for r in ALL_RESOURCES if r.name == found["resource"])
        rows, approximate = row_count(cur, resource)
        last_run = None if found["status"] is None else {k: found[k] for k in _LAST_RUN_FIELDS}
        task = (task_states or {}).get(resource.name)
        last_state = task["state"] if task else (last_run or {}).get("status")
        threshold = stale_seconds + (directory_seconds if resource.name in DIRECTORY else 0)
        colour = freshness(found["age_seconds"], threshold)
        entries.append(
            {
                "resource": resource.name,
                "last_success_at": found["last_success_at"],
                "age_seconds": found["age_seconds"],
                "threshold_seconds": threshold,
                "freshness": colour,
                "health": health(colour, last_state),
                "last_state": last_state,
                "last_task": task,
                "directory": resource.name in DIRECTORY,
                "last_run": last_run,
                "runs": strips.get(resource.name, []),
                "rows": rows,
                "rows_estimated": approximate,
                "dead_letters": open_items[resource.name].get("dead_letters", 0),
                "conflicts": open_items[resource.name].get("conflicts", 0),
                "pending": pending.get(resource.name, 0),
            }
        )
    return entries


def error_rows(cur, limit: int = MAX_ERRORS, days: int = HISTORY_DAYS) -> list[dict[str, Any]]:
    """Failures grouped by resource, task and message (open ones first), messages redacted; each names its newest
    Airflow task try for a log link and, once a later sync of the resource succeeded, when it was resolved."""
    errors = _rows(cur, "errors", {"limit": limit, "days": days})
    for error in errors:
        error["error_message"] = redact(error["error_message"])
    return errors


def snapshot(
    conn,
    stale_seconds: int = DEFAULT_STALE_SECONDS,
    days: int = HISTORY_DAYS,
    task_states: dict[str, dict[str, Any]] | None = None,
    directory_seconds: int = 0,
) -> dict[str, Any]:
    """Everything the page shows, read in one read-only transaction (rolled back: the dashboard never writes)."""
    now = datetime.now(UTC)
    base: dict[str, Any] = {
        "generated_at": jsonable(now),
        "schema": WAREHOUSE_SCHEMA,
        "stale_after_seconds": stale_seconds,
        "history_days": days,
    }
    try:
        with conn.cursor() as cur:
            cur.execute("SET TRANSACTION READ ONLY")
            cur.execute(f"SET LOCAL statement_timeout = {int(STATEMENT_TIMEOUT_MS)}")
            if not warehouse_ready(cur):
                return {
                    **base,
                    "warehouse_ready": False,
                    "resources": [],
                    "runs": [],
                    "resource_runs": [],
                    "errors": [],
                    "pending": [],
                    "alerts": [],
                    "verification": [],
                    "realtime": {"installed": False, "set_up": False},
                    "status": {"state": "empty", "since": None, "failing": [], "late": [], "alerts": 0},
                }
            runs = _rows(cur, "runs", {"days": days, "limit": MAX_RUNS})
            runs.reverse()  # the query keeps the newest MAX_RUNS; charts read oldest first
            per_resource = _rows(cur, "resource_runs", {"days": days, "limit": MAX_RUNS * 4})
            per_resource.reverse()
            resources = resource_rows(cur, stale_seconds, task_states, directory_seconds, days)
            errors = error_rows(cur, days=days)
            alerts = _rows(cur, "open_alerts") if alert_table(cur) else []
            return {
                **base,
                "warehouse_ready": True,
                "resources": resources,
                "runs": runs,
                "resource_runs": per_resource,
                "errors": errors,
                "pending": _rows(cur, "pending"),
                "alerts": alerts,
                "status": status_line(resources, errors, alerts),
                "verification": _rows(cur, "verification"),
                "realtime": realtime(cur, now),
            }
    finally:
        conn.rollback()


def realtime(cur, now: datetime) -> dict[str, Any]:
    """The real-time panel (issue 21): webhook figures as JSON; installed False before migration 041."""
    if not webhooks.installed(cur):
        return {"installed": False, "set_up": False}
    found = webhooks.figures(cur, now)
    found["rejections_last_hour"] = [{k: jsonable(v) for k, v in r.items()} for r in found["rejections_last_hour"]]
    return {"installed": True, **{k: jsonable(v) for k, v in found.items()}}


def alert_table(cur) -> bool:
    """Whether front.alert_state exists (created by the monitor's migration)."""
    cur.execute("SELECT to_regclass('front.alert_state') IS NOT NULL")
    return bool(cur.fetchone()[0])
