"""The monitor's checks: each reads the warehouse (sync_logs, dead_letters, sync_conflicts) and returns Findings.

`now` is the monitor run's own time (its data interval end or run_after), never the wall clock, so a check is
reproducible. Thresholds come from front_sync.config (SyncConfig).
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from psycopg import sql

from front_sync.config import SyncConfig
from front_sync.ops import alerts, delivery, webhooks
from front_sync.ops.alerts import Finding
from front_sync.resources import CONVERSATIONS, synced
from front_sync.resources.model import LISTED, PER_CONVERSATION
from front_sync.warehouse.sql_files import load_sql

log = logging.getLogger(__name__)
# The resources the scheduled DAGs keep current: each must succeed within stale_after_minutes.
MONITORED = tuple(r.name for r in (*synced(LISTED), CONVERSATIONS, *synced(PER_CONVERSATION)))
DIRECTORY = frozenset(r.name for r in synced(LISTED) if not r.incremental)
MIN_BASELINE_RUNS = 5  # fewer successful runs than this are no "normal" to compare with
STATE_ALERTS = (
    "stale_resource",
    "failure_rate",
    "slow_run",
    "quota",
    "repeated_failures",
    "oauth_reconnect",
    *webhooks.WEBHOOK_ALERTS,
)


def _rows(conn, name: str, params: dict, **identifiers) -> list[tuple]:
    with conn.cursor() as cur:
        cur.execute(load_sql(f"ops/{name}", **identifiers), params)
        return cur.fetchall()


def _minutes(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    return f"{minutes // 60} h {minutes % 60} min" if minutes >= 60 else f"{minutes} min"


def stale_resources(conn, config: SyncConfig, now: datetime, resources=MONITORED) -> list[Finding]:
    """No successful sync of a resource for stale_after_minutes (never: counted from its first row, or the
    deployment's first row)."""
    found = []
    for resource, last_success, first_row, deployment_start in _rows(
        conn, "stale_resources", {"resources": list(resources), "now": now}
    ):
        limit = timedelta(minutes=config.stale_after_minutes)
        if resource in DIRECTORY:  # the hourly run lists these only every directory_refresh_minutes
            limit += timedelta(minutes=config.directory_refresh_minutes)
        since = last_success or first_row or deployment_start
        if since is None or now - since <= limit:
            continue
        what = "last success" if last_success else "never succeeded"
        late = _minutes(now - since)
        found.append(
            Finding(
                f"stale_resource:{resource}",
                "stale_resource",
                f"no successful sync of {resource} for {late}",
                since,
                f"{late} since {what} vs threshold {_minutes(limit)}",
            )
        )
    return found


def failure_rate(conn, config: SyncConfig, now: datetime) -> list[Finding]:
    """Over failure_rate_percent of the finished sync task tries of the last failure_rate_hours failed."""
    failed, tries, first_failure = _rows(conn, "failure_rate", {"now": now, "hours": config.failure_rate_hours})[0]
    if not tries or 100 * failed / tries <= config.failure_rate_percent:
        return []
    rate = 100 * failed / tries
    hours = config.failure_rate_hours
    return [
        Finding(
            "failure_rate",
            "failure_rate",
            f"{rate:.1f} % of sync task tries failed in the last {hours} h",
            first_failure,
            f"{rate:.1f} % ({failed} of {tries} tries) vs threshold {config.failure_rate_percent:g} %",
        )
    ]


def slow_runs(conn, config: SyncConfig, now: datetime) -> list[Finding]:
    """A resource's latest run (or the one still running) took over slow_run_factor x the median of its last
    slow_run_baseline successful runs of the same type (and over slow_run_min_seconds)."""
    found = []
    for resource, sync_type, status, started_at, seconds, median, runs in _rows(
        conn, "slow_runs", {"now": now, "baseline": config.slow_run_baseline}
    ):
        if runs < MIN_BASELINE_RUNS or median is None:
            continue
        threshold = max(config.slow_run_factor * median, config.slow_run_min_seconds)
        if seconds <= threshold:
            continue
        state = "still running after" if status == "running" else "took"
        found.append(
            Finding(
                f"slow_run:{resource}:{sync_type}",
                "slow_run",
                f"{sync_type} sync of {resource} {state} {seconds:.0f} s, over {config.slow_run_factor:g}x its normal",
                started_at,
                f"{seconds:.0f} s vs threshold {threshold:.0f} s ({config.slow_run_factor:g} x median "
                f"{median:.1f} s of the last {runs} runs)",
            )
        )
    return found


def quota_use(conn, config: SyncConfig, now: datetime) -> list[Finding]:
    """Front's rate limit used over quota_use_percent (the lowest x-ratelimit-remaining the tasks saw)."""
    rows = _rows(
        conn, "quota_use", {"now": now, "minutes": config.quota_window_minutes, "threshold": config.quota_use_percent}
    )
    if not rows or rows[0][3] <= config.quota_use_percent:
        return []
    resource, limit, lowest, use, since = rows[0]
    return [
        Finding(
            "quota",
            "quota",
            f"Front API quota {use:.0f} % used (seen by {resource})",
            since,
            f"{use:.0f} % (lowest remaining {lowest:.0f} of {limit:.0f} per minute) vs threshold "
            f"{config.quota_use_percent:g} %",
        )
    ]


def repeated_failures(
    conn, config: SyncConfig, now: datetime, dag_id: str | None = None, task_id: str | None = None
) -> list[Finding]:
    """A task whose last escalate_after_failures runs (or more) all failed: escalated once, until it succeeds."""
    found = []
    for dag, task, runs, since in _rows(
        conn,
        "repeated_failures",
        {"now": now, "threshold": config.escalate_after_failures, "dag_id": dag_id, "task_id": task_id},
    ):
        found.append(
            Finding(
                f"repeated_failures:{dag}.{task}",
                "repeated_failures",
                f"{dag}.{task} failed {runs} runs in a row (escalated; no more per-failure messages until it succeeds)",
                since,
                f"{runs} failed runs in a row vs threshold {config.escalate_after_failures}",
            )
        )
    return found


def oauth_reconnect(conn, config: SyncConfig, now: datetime) -> list[Finding]:
    """An OAuth connection whose refresh token Front refused (invalid_grant): every sync fails until an admin
    connects Front again; one alert until then."""
    return [
        Finding(
            f"oauth_reconnect:{conn_id}",
            "oauth_reconnect",
            f"Front refused the OAuth refresh token of connection {conn_id}: reconnect Front",
            since,
            f"{(message or 'invalid_grant')[:300]} vs expected: connected",
        )
        for conn_id, since, message in _rows(conn, "oauth_reconnect", {})
    ]


def new_rows(conn, table: str, alert: str) -> tuple[list[Finding], tuple[str, int]]:
    """Rows of dead_letters / sync_conflicts since the last check; returns the finding and the cursor to save."""
    after, upto = _rows(conn, "cursor_read", {"name": table}, table=sql.Identifier("front", table))[0]
    per_resource = _rows(
        conn, f"new_{table}" if table == "dead_letters" else "new_conflicts", {"after": after, "upto": upto}
    )
    if not per_resource:
        return [], (table, upto)
    total = sum(r[1] for r in per_resource)
    detail = ", ".join(f"{resource}: {count}" for resource, count, _ in per_resource)
    noun = "dead letters" if table == "dead_letters" else "sync conflicts"
    return [
        Finding(
            f"{alert}:{upto}",
            alert,
            f"{total} new {noun} ({detail})",
            min(r[2] for r in per_resource),
            f"{total} new rows in front.{table} vs threshold 0",
            event=True,
        )
    ], (table, upto)


@dataclass
class CheckResult:
    """What one monitor run found and sent."""

    findings: list[Finding] = field(default_factory=list)
    sent: list[str] = field(default_factory=list)  # delivered by Slack or e-mail
    cleared: list[str] = field(default_factory=list)
    channels: Counter = field(default_factory=Counter)


def run_checks(conn, config: SyncConfig, now: datetime, tenant: str | None = None) -> CheckResult:
    """Every check; state alerts are sent once until they clear, new dead letters and conflicts each time; every
    message names the tenant."""
    result = CheckResult()
    state = [
        *stale_resources(conn, config, now),
        *failure_rate(conn, config, now),
        *slow_runs(conn, config, now),
        *quota_use(conn, config, now),
        *repeated_failures(conn, config, now),
        *oauth_reconnect(conn, config, now),
        *webhooks.checks(conn, config, now),
    ]
    result.findings.extend(state)
    delivered: list[Finding] = []
    alerts.open_and_send(conn, state, config, result.channels, delivered, tenant)
    result.sent += [f.key for f in delivered]
    result.cleared = alerts.clear_gone(conn, STATE_ALERTS, [f.key for f in state], config, tenant)
    for table, alert in (("dead_letters", "dead_letters"), ("sync_conflicts", "conflicts")):
        events, (name, upto) = new_rows(conn, table, alert)
        delivered = alerts.send(events, config, result.channels, tenant)  # before the cursor moves: a failed
        # delivery is reported again
        with conn.cursor() as cur:
            cur.execute(load_sql("ops/cursor_save"), {"name": name, "last_id": upto})
        conn.commit()
        result.findings.extend(events)
        result.sent += [f.key for f in delivered]
    log.info(
        "Monitor: %d finding(s), %d delivered (%s), %d cleared; open alerts show on the Front sync page",
        len(result.findings),
        len(result.sent),
        delivery.summary(result.channels),
        len(result.cleared),
    )
    return result
