"""Alert delivery: Slack (slack_alerts, SlackWebhookHook) and email (smtp_alerts, the SMTP provider's SmtpHook).

Each channel is optional: without its connection (or, for email, without alert_emails) it is skipped with one
log line. Every configured channel is tried; a failure of one is raised after the others were tried.
"""

from __future__ import annotations

import html
import logging
from collections import Counter

from airflow.sdk import BaseHook
from airflow.sdk.exceptions import AirflowNotFoundException

from front_sync.config import SLACK_CONN_ID, SMTP_CONN_ID, SyncConfig

log = logging.getLogger(__name__)
DEFAULT_FROM = "front-sync@localhost"


class DeliveryError(RuntimeError):
    """A configured alert channel could not deliver (the message is not repeated here)."""


def _configured(conn_id: str) -> bool:
    try:
        BaseHook.get_connection(conn_id)
    except AirflowNotFoundException:
        return False
    return True


def send_slack(text: str, conn_id: str = SLACK_CONN_ID) -> bool:
    """Post to the Slack webhook connection; False (one log line) when it is not configured."""
    if not _configured(conn_id):
        log.info("Slack alert skipped: connection %r is not configured", conn_id)
        return False
    from airflow.providers.slack.hooks.slack_webhook import SlackWebhookHook

    SlackWebhookHook(slack_webhook_conn_id=conn_id).send(text=text)
    return True


def send_email(subject: str, text: str, recipients: tuple[str, ...], conn_id: str = SMTP_CONN_ID) -> bool:
    """Mail the alert through the SMTP connection; False (one log line) without the connection or recipients."""
    if not _configured(conn_id):
        log.info("Email alert skipped: connection %r is not configured", conn_id)
        return False
    if not recipients:
        log.info("Email alert skipped: front_sync.config has no alert_emails")
        return False
    from airflow.providers.smtp.hooks.smtp import SmtpHook

    with SmtpHook(smtp_conn_id=conn_id) as hook:
        hook.send_email_smtp(
            to=list(recipients),
            subject=subject,
            from_email=hook.from_email or DEFAULT_FROM,
            html_content=f"<pre>{html.escape(text)}</pre>",
        )
    return True


def deliver(subject: str, text: str, config: SyncConfig, report: Counter | None = None) -> list[str]:
    """Send on every configured channel; returns the channels used, raises DeliveryError if one failed.
    `report` (when given) counts per channel what was sent and what was skipped (not configured)."""
    used, failed = [], []
    report = Counter() if report is None else report
    for channel, send in (
        ("slack", lambda: send_slack(text)),
        ("email", lambda: send_email(subject, text, config.alert_emails)),
    ):
        try:
            if send():
                used.append(channel)
                report[f"{channel} sent"] += 1
            else:
                report[f"{channel} skipped"] += 1
        except Exception as exc:  # noqa: BLE001 - try the other channel, then fail the task
            log.error("Alert delivery by %s failed: %s", channel, type(exc).__name__)
            failed.append(channel)
            report[f"{channel} failed"] += 1
    if failed:
        raise DeliveryError(f"alert delivery failed on {', '.join(failed)}")
    return used


def summary(report: Counter) -> str:
    """Per channel, what a run sent and skipped: "slack 0 sent, 2 skipped (not configured); email ..."."""
    parts = []
    for channel in ("slack", "email"):
        sent, skipped, failed = (report[f"{channel} {what}"] for what in ("sent", "skipped", "failed"))
        part = f"{channel} {sent} sent"
        if skipped:
            part += f", {skipped} skipped (not configured)"
        if failed:
            part += f", {failed} failed"
        parts.append(part)
    return "; ".join(parts)
