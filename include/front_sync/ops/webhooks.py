"""Real-time webhooks (issue 21) in operations: the dashboard's figures and the monitor's three checks.

Reads only what the receiver stores (front.webhook_events, front.webhook_rejections) and what the real-time DAG
marks (applied_at, outcome); counts, times and event types only, never a payload.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from front_sync.config import SyncConfig
from front_sync.ops.alerts import Finding
from front_sync.warehouse.sql_files import load_sql

WEBHOOK_ALERTS = ("webhooks_silent", "webhook_lag", "webhooks_rejected")


def installed(cur) -> bool:
    """Whether the webhook store exists (migration 041)."""
    cur.execute(
        "SELECT to_regclass('front.webhook_events') IS NOT NULL AND to_regclass('front.webhook_rejections') IS NOT NULL"
    )
    return bool(cur.fetchone()[0])


def _named(cur) -> list[dict[str, Any]]:
    names = [d.name for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def figures(cur, now: datetime) -> dict[str, Any]:
    """The real-time panel at `now`: last webhook, lag p50/p95 of the last hour, pending depth and oldest age,
    duplicates and refused requests of the last hour by reason; set_up is False until a webhook was stored."""
    cur.execute(load_sql("dashboard/realtime"), {"now": now})
    found = _named(cur)[0]
    cur.execute(load_sql("dashboard/rejections"), {"now": now})
    rejections = _named(cur)
    return {
        "set_up": found["last_received_at"] is not None,
        **found,
        "rejections_last_hour": rejections,
        "rejected_last_hour": sum(int(r["requests"]) for r in rejections),
    }


def _minutes(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    return f"{minutes // 60} h {minutes % 60} min" if minutes >= 60 else f"{minutes} min"


def silent(conn, config: SyncConfig, now: datetime) -> list[Finding]:
    """Webhooks were received before, none for webhook_silent_minutes, and a successful conversations sync since
    read changes from /events emitted after the last one arrived (quiet because nothing changed is no alert)."""
    with conn.cursor() as cur:
        if not installed(cur):
            return []
        cur.execute(load_sql("ops/webhooks_silent"), {"now": now})
        found = cur.fetchone()
    if found is None:  # never received: real time is not set up, nothing to miss
        return []
    last, runs, fetched, last_run = found
    limit = timedelta(minutes=config.webhook_silent_minutes)
    if now - last <= limit or not runs:
        return []
    quiet = _minutes(now - last)
    return [
        Finding(
            "webhooks_silent",
            "webhooks_silent",
            f"no Front webhook for {quiet} while /events still shows changes",
            last,
            f"{quiet} without a webhook (last received {last.isoformat(timespec='seconds')}); {runs} sync run(s) "
            f"since read {fetched} changed conversation(s) from /events, the last at "
            f"{last_run.isoformat(timespec='seconds')} vs threshold {_minutes(limit)}",
        )
    ]


def lag(conn, config: SyncConfig, now: datetime) -> list[Finding]:
    """The webhook-to-row lag p95 of the last hour, or the age of the oldest stored webhook not applied yet (the
    real-time DAG is not applying: no lag to measure), passes webhook_lag_p95_seconds."""
    with conn.cursor() as cur:
        if not installed(cur):
            return []
        found = figures(cur, now)
    threshold = config.webhook_lag_p95_seconds
    p95, waiting = found["lag_p95_seconds"], found["oldest_pending_seconds"]
    slow = p95 is not None and p95 > threshold
    stuck = waiting is not None and waiting > threshold
    if not slow and not stuck:
        return []
    parts = []
    if p95 is not None:
        parts.append(
            f"p95 {float(p95):.0f} s (p50 {float(found['lag_p50_seconds']):.0f} s) over the "
            f"{found['applied_last_hour']} webhook(s) applied in the last hour"
        )
    if found["pending"]:
        parts.append(f"{found['pending']} stored and not applied, the oldest for {float(waiting):.0f} s")
    since = found["oldest_pending_at"] if stuck else now  # a slow hour: from when the monitor saw it
    title = (
        f"webhook-to-row lag p95 {float(p95):.0f} s over the last hour"
        if slow
        else f"stored webhooks not applied for {float(waiting):.0f} s"
    )
    return [Finding("webhook_lag", "webhook_lag", title, since, f"{'; '.join(parts)} vs threshold {threshold} s")]


def rejected(conn, config: SyncConfig, now: datetime) -> list[Finding]:
    """Over webhook_rejections_per_hour requests refused in the last hour (forged, or signed with a secret the
    receiver does not know: a rotation done in Front but not in the webhook connection)."""
    with conn.cursor() as cur:
        if not installed(cur):
            return []
        cur.execute(load_sql("dashboard/rejections"), {"now": now})
        per_reason = _named(cur)
    total = sum(int(r["requests"]) for r in per_reason)
    if total <= config.webhook_rejections_per_hour:
        return []
    detail = ", ".join(f"{r['reason']} {int(r['requests'])}" for r in per_reason)
    return [
        Finding(
            "webhooks_rejected",
            "webhooks_rejected",
            f"{total} webhook requests refused in the last hour",
            min(r["first_minute"] for r in per_reason),
            f"{total} refused ({detail}) vs threshold {config.webhook_rejections_per_hour} per hour",
        )
    ]


def checks(conn, config: SyncConfig, now: datetime) -> list[Finding]:
    """Every real-time check (none before migration 041 created the store)."""
    return [*silent(conn, config, now), *lag(conn, config, now), *rejected(conn, config, now)]
