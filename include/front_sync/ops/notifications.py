"""Failure alerts to Slack through the slack_alerts connection; skipped with one log line when it is absent.

Repeated failures escalate once instead of repeating: when a task's failed runs in a row (sync_logs) reach
escalate_after_failures, the escalation goes out (Slack and email, front_sync.ops.alerts) in place of the
per-failure message, and later failures of the same streak send nothing until the task succeeds again (the
monitor then clears the alert). Without the warehouse's answer the per-failure message is sent as before.
"""

from __future__ import annotations

import logging

from airflow.sdk import BaseHook, BaseNotifier
from airflow.sdk.exceptions import AirflowNotFoundException

from front_sync.config import SLACK_CONN_ID, WAREHOUSE_CONN_ID, tenant_label

log = logging.getLogger(__name__)


def failure_text(context, tenant: str | None = None) -> str:
    """The alert: tenant, DAG, task, run, try, error class and the log link; never record data."""
    ti = context.get("ti") or context.get("task_instance")
    exc = context.get("exception")
    dag_id = getattr(ti, "dag_id", "?")
    task_id = getattr(ti, "task_id", "?")
    lines = [
        f":red_circle: front-sync task failed: *{dag_id}.{task_id}* (tenant {tenant_label(tenant)})",
        f"run `{context.get('run_id', getattr(ti, 'run_id', '?'))}`, try {getattr(ti, 'try_number', '?')}",
        f"error: {type(exc).__name__ if exc else 'unknown'}",
    ]
    log_url = getattr(ti, "log_url", None)
    if log_url:
        lines.append(f"log: {log_url}")
    return "\n".join(lines)


def escalated(context, warehouse_conn_id: str = WAREHOUSE_CONN_ID, tenant: str | None = None) -> bool:
    """Whether this failure belongs to a streak that is (now, or already) escalated: then it sends nothing more.
    The streak is read from the tenant's warehouse (sync_logs), with the tenant's config."""
    from datetime import UTC, datetime

    from airflow.sdk import Variable

    from front_sync.config import read_config
    from front_sync.ops import alerts, monitor
    from front_sync.warehouse.connection import warehouse_connection

    ti = context.get("ti") or context.get("task_instance")
    try:
        config = read_config(Variable, tenant)
        conn = warehouse_connection(warehouse_conn_id)
    except Exception as exc:  # noqa: BLE001 - the warehouse may be what failed; the plain alert still goes out
        log.warning("Escalation check skipped (%s): sending the failure alert", type(exc).__name__)
        return False
    try:
        # The callback's own moment (not the run's): the failed try's sync_logs row was closed just now.
        findings = monitor.repeated_failures(conn, config, datetime.now(UTC), ti.dag_id, ti.task_id)
        if findings:
            sent = alerts.open_and_send(conn, findings, config, tenant=tenant)
            log.info(
                "Repeated failures of %s.%s: %s",
                ti.dag_id,
                ti.task_id,
                "escalated" if sent else "already escalated, not repeated",
            )
        return bool(findings)
    finally:
        conn.close()


def oauth_alerted(context, warehouse_conn_id: str = WAREHOUSE_CONN_ID, tenant: str | None = None) -> bool:
    """A failure because Front refused the OAuth refresh token: one "reconnect Front" alert for every task that
    fails the same way (the monitor's state alert, opened once), instead of one message per task."""
    if not getattr(context.get("exception"), "oauth_reconnect", False):
        return False
    from datetime import UTC, datetime

    from airflow.sdk import Variable

    from front_sync.config import read_config
    from front_sync.ops import alerts, monitor
    from front_sync.warehouse.connection import warehouse_connection

    try:
        config = read_config(Variable, tenant)
        conn = warehouse_connection(warehouse_conn_id)
    except Exception as exc:  # noqa: BLE001 - then the plain failure alert goes out
        log.warning("OAuth alert skipped (%s): sending the failure alert", type(exc).__name__)
        return False
    try:
        findings = monitor.oauth_reconnect(conn, config, datetime.now(UTC))
        sent = alerts.open_and_send(conn, findings, config, tenant=tenant)
        log.info("OAuth reconnect needed: %s", "alert sent" if sent else "alert already open, not repeated")
        return bool(findings)
    finally:
        conn.close()


class SlackFailureAlert(BaseNotifier):
    """Task-level on_failure_callback that posts `failure_text` to the Slack webhook connection; the escalation
    check reads the warehouse (and config) of the task's tenant."""

    template_fields = ()

    def __init__(
        self, slack_conn_id: str = SLACK_CONN_ID, warehouse_conn_id: str = WAREHOUSE_CONN_ID, tenant: str | None = None
    ) -> None:
        super().__init__()
        self.slack_conn_id = slack_conn_id
        self.warehouse_conn_id = warehouse_conn_id
        self.tenant = tenant

    def notify(self, context) -> None:
        if oauth_alerted(context, self.warehouse_conn_id, self.tenant):
            return
        if escalated(context, self.warehouse_conn_id, self.tenant):
            return
        try:
            BaseHook.get_connection(self.slack_conn_id)
        except AirflowNotFoundException:
            log.info("Slack alert skipped: connection %r is not configured", self.slack_conn_id)
            return
        from airflow.providers.slack.hooks.slack_webhook import SlackWebhookHook

        SlackWebhookHook(slack_webhook_conn_id=self.slack_conn_id).send(text=failure_text(context, self.tenant))
