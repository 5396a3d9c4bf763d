"""Alerts: what a finding says (what is wrong, since when, the figure against its threshold, the runbook's first
step and link), and their state in front.alert_state, so one condition is sent once until it clears."""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from front_sync.config import SyncConfig, tenant_label
from front_sync.ops import delivery
from front_sync.warehouse.sql_files import load_sql

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Runbook:
    """The runbook section of an alert (docs/runbook.md#anchor) and the first thing to do."""

    anchor: str
    first_step: str


RUNBOOK = {
    "stale_resource": Runbook(
        "alert-no-successful-sync",
        "Look at the resource's last sync_logs rows and the Airflow log of its last task run; is the DAG paused?",
    ),
    "failure_rate": Runbook(
        "alert-failure-rate",
        "Group the failed sync_logs rows of the last 24 h by task and error_message to find the common cause.",
    ),
    "slow_run": Runbook(
        "alert-slow-run",
        "Compare the run's api_calls, rate_limit_wait_seconds and fetched with its usual runs in sync_logs.",
    ),
    "quota": Runbook(
        "alert-api-quota",
        "Find who else uses the Front company's API budget; lower `share` or the front_api pool slots if it is us.",
    ),
    "repeated_failures": Runbook(
        "alert-repeated-failures",
        "Open the task's last failed log in Airflow: the same error in a row is not transient; fix it, then clear.",
    ),
    "dead_letters": Runbook(
        "alert-dead-letters",
        "Read the new rows' error in front.dead_letters, fix the cause, then replay them (front_sync_replay).",
    ),
    "oauth_reconnect": Runbook(
        "alert-oauth-reconnect",
        'An admin of the Front company opens the Front sync page and clicks "Connect Front" (or runs '
        "`front-sync oauth connect`); then clear the failed tasks.",
    ),
    "conflicts": Runbook(
        "alert-conflicts",
        "Review the new rows in front.sync_conflicts: keep the local edit or let Front win (clear local_updated_at).",
    ),
    "webhooks_silent": Runbook(
        "alert-webhooks-silent",
        "Open the Front app's webhook settings: is the webhook disabled, or its URL wrong? Then check the receiver.",
    ),
    "webhook_lag": Runbook(
        "alert-webhook-lag",
        "Is the real-time DAG running (paused, failing, runs queued)? Look at its last runs and the pending depth.",
    ),
    "webhooks_rejected": Runbook(
        "alert-webhooks-rejected",
        "Read the reasons: bad_signature after a secret rotation means the webhook connection lacks the new secret.",
    ),
}


@dataclass(frozen=True)
class Finding:
    """One condition a check found.

    key: the condition in front.alert_state (e.g. "stale_resource:contacts"); title: what is wrong;
    figure: the measured figure against its threshold; event: new rows (dead letters, conflicts) rather than a
    state: sent each time new rows appear (the check's cursor keeps rows from being reported twice).
    """

    key: str
    alert: str
    title: str
    since: datetime | None
    figure: str
    event: bool = False


def runbook_link(config: SyncConfig, alert: str) -> str:
    """The link to an alert's runbook section."""
    return f"{config.runbook_url}#{RUNBOOK[alert].anchor}"


def message(finding: Finding, config: SyncConfig, tenant: str | None = None) -> str:
    """The alert text, the same for Slack and email; names and figures only, never record data."""
    since = finding.since.isoformat(timespec="seconds") if finding.since else "unknown"
    return "\n".join(
        [
            f":rotating_light: front-sync alert ({tenant_label(tenant)}): {finding.title}",
            f"tenant: {tenant_label(tenant)}",
            f"since: {since}",
            f"figure: {finding.figure}",
            f"first step: {RUNBOOK[finding.alert].first_step}",
            f"runbook: {runbook_link(config, finding.alert)}",
        ]
    )


def resolved_message(key: str, since: datetime | None, tenant: str | None = None) -> str:
    """The one-line note that an alert sent earlier no longer holds."""
    opened = since.isoformat(timespec="seconds") if since else "unknown"
    return f":white_check_mark: front-sync resolved: {key} (tenant {tenant_label(tenant)}, since {opened})"


def send(
    findings: Sequence[Finding], config: SyncConfig, report: Counter | None = None, tenant: str | None = None
) -> list[Finding]:
    """Deliver findings, one message each (Slack and email), naming the tenant; raises when a configured channel
    failed. Returns the findings some channel delivered (none when neither Slack nor e-mail is configured)."""
    return [
        finding
        for finding in findings
        if delivery.deliver(
            f"front-sync alert ({tenant_label(tenant)}): {finding.title}",
            message(finding, config, tenant),
            config,
            report,
        )
    ]


def open_and_send(
    conn,
    findings: Sequence[Finding],
    config: SyncConfig,
    report: Counter | None = None,
    delivered: list[Finding] | None = None,
    tenant: str | None = None,
) -> list[Finding]:
    """Open state alerts not open yet and send them (plus open ones no channel delivered yet); returns those due,
    adds those a channel delivered to `delivered`. An alert counts as notified only once a channel delivered it
    (the Front sync page shows it either way)."""
    due: list[Finding] = []
    with conn.cursor() as cur:
        for finding in findings:
            cur.execute(
                load_sql("ops/alert_open"),
                {"key": finding.key, "alert": finding.alert, "since": finding.since, "figure": finding.figure},
            )
            if cur.fetchone() is not None:
                due.append(finding)
        figures = json.dumps({f.key: f.figure for f in findings})
        cur.execute(load_sql("ops/alert_seen"), {"keys": [f.key for f in findings], "figures": figures})
        unsent = {key for key, is_unsent in cur.fetchall() if is_unsent}
    conn.commit()  # opened before sending: a concurrent check or callback cannot send the same alert
    due += [f for f in findings if f.key in unsent and f not in due]
    for finding in due:
        if not send([finding], config, report, tenant):
            continue
        if delivered is not None:
            delivered.append(finding)
        with conn.cursor() as cur:
            cur.execute(load_sql("ops/alert_notified"), {"keys": [finding.key]})
        conn.commit()
    for finding in findings:
        if finding not in due:
            log.info("Alert %s still open (figure %s): not sent again", finding.key, finding.figure)
    return due


def clear_gone(
    conn, checked_alerts: Iterable[str], still_open: Iterable[str], config: SyncConfig, tenant: str | None = None
) -> list[str]:
    """Close the open alerts of the checked kinds that no longer hold; a note goes out for those that were sent."""
    with conn.cursor() as cur:
        cur.execute(load_sql("ops/alert_clear"), {"alerts": list(checked_alerts), "keys": list(still_open)})
        cleared = cur.fetchall()
    conn.commit()
    for key, _alert, since, was_sent in cleared:
        log.info("Alert %s cleared", key)
        if was_sent:
            delivery.deliver(
                f"front-sync resolved ({tenant_label(tenant)}): {key}", resolved_message(key, since, tenant), config
            )
    return [row[0] for row in cleared]
