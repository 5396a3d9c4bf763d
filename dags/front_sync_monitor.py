"""
### front_sync_monitor

Every 15 minutes (`FRONT_SYNC_MONITOR_SCHEDULE`): checks the warehouse's own records (`front.sync_logs`,
`dead_letters`, `sync_conflicts`) and alerts to Slack (`slack_alerts`) and email (`smtp_alerts` +
`alert_emails`) when a resource has not synced successfully for 2 h, over 5 % of task tries failed in 24 h, a
run takes over 2x its normal, Front's API quota use passes 80 %, a task failed 3 runs in a row, new dead
letters or conflicts appear, real-time webhooks stop for 30 min while `/events` still shows changes, their
webhook-to-row lag p95 passes 60 s, or over 20 webhook requests an hour are refused (each alert names the tenant).
An alert is sent once until its condition clears (`front.alert_state`); each says
what is wrong, since when, the figure against its threshold and the runbook's first step (docs/runbook.md).
Thresholds: `front_sync.config`. `purge_expired_bodies` applies `retention_days` (off by default): once a day,
at most 100,000 messages a run (a bigger purge goes on in the next runs).
"""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.sdk import DAG

from front_sync.config import Tenant, schedule, tenants
from front_sync.ops.operators import MonitorOperator, RetentionOperator
from front_sync.sync.operators import MigrateWarehouseOperator
from front_sync.sync.plan import TAGS_COMMON, default_args


def build(tenant: Tenant) -> DAG:
    """front_sync_monitor of one tenant (the single default keeps the plain id)."""
    with DAG(
        dag_id=tenant.dag_id("front_sync_monitor"),
        schedule=schedule("monitor"),
        start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
        catchup=False,
        max_active_runs=1,
        doc_md=__doc__,
        description="Every few minutes: checks freshness, failures, slow runs, quota; opens and clears alerts",
        tags=[*TAGS_COMMON, "monitor", *tenant.tags],
        default_args={**default_args(timedelta(minutes=10), tenant), "retry_delay": timedelta(seconds=30)},
    ) as dag:
        migrate = MigrateWarehouseOperator(task_id="migrate_warehouse", priority_weight=40)
        migrate >> MonitorOperator(task_id="check_alerts", priority_weight=30)
        migrate >> RetentionOperator(task_id="purge_expired_bodies")
        return dag


for _tenant in tenants():
    build(_tenant)
