"""Failure alerts to Slack through the slack_alerts connection; skipped with one log line when it is absent."""

from __future__ import annotations

import logging

from airflow.sdk import BaseHook, BaseNotifier
from airflow.sdk.exceptions import AirflowNotFoundException

from front_sync.config import SLACK_CONN_ID

log = logging.getLogger(__name__)


def failure_text(context) -> str:
    """The alert: DAG, task, run, try, error class and the log link; never record data."""
    ti = context.get("ti") or context.get("task_instance")
    exc = context.get("exception")
    dag_id = getattr(ti, "dag_id", "?")
    task_id = getattr(ti, "task_id", "?")
    lines = [
        f":red_circle: front-sync task failed: *{dag_id}.{task_id}*",
        f"run `{context.get('run_id', getattr(ti, 'run_id', '?'))}`, try {getattr(ti, 'try_number', '?')}",
        f"error: {type(exc).__name__ if exc else 'unknown'}",
    ]
    log_url = getattr(ti, "log_url", None)
    if log_url:
        lines.append(f"log: {log_url}")
    return "\n".join(lines)


class SlackFailureAlert(BaseNotifier):
    """Task-level on_failure_callback that posts `failure_text` to the Slack webhook connection."""

    template_fields = ()

    def __init__(self, slack_conn_id: str = SLACK_CONN_ID) -> None:
        super().__init__()
        self.slack_conn_id = slack_conn_id

    def notify(self, context) -> None:
        try:
            BaseHook.get_connection(self.slack_conn_id)
        except AirflowNotFoundException:
            log.info("Slack alert skipped: connection %r is not configured", self.slack_conn_id)
            return
        from airflow.providers.slack.hooks.slack_webhook import SlackWebhookHook

        SlackWebhookHook(slack_webhook_conn_id=self.slack_conn_id).send(text=failure_text(context))
