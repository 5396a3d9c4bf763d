"""
### front_sync_realtime

Applies Front's webhooks within seconds of their arrival. The receiver stores each signed webhook in
`front.webhook_events`; the triggerer's watcher (LISTEN on `front_sync_webhooks`, with a 30 s poll fallback) fires the
Asset `front_sync_webhooks`, and the scheduler starts this DAG. Its one task claims the stored webhooks, loads each
conversation's preview and fetches the messages and comments they name (one call per changed record, none when the
warehouse already holds it) through the same loader and version rule as the hourly run, and marks them applied in the
same transaction. It never moves a watermark: the hourly `front_sync_incremental` still reads `/events` and repairs
whatever webhooks dropped, duplicated or reordered.
"""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.sdk import DAG

from front_sync.config import Tenant, tenants
from front_sync.realtime.trigger import webhook_asset
from front_sync.sync.plan import TAGS_COMMON, default_args
from front_sync.sync.realtime_operator import RealtimeApplyOperator


def build(tenant: Tenant) -> DAG:
    """front_sync_realtime of one tenant (the single default keeps the plain id)."""
    with DAG(
        dag_id=tenant.dag_id("front_sync_realtime"),
        schedule=[webhook_asset(tenant)],
        start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
        catchup=False,
        max_active_runs=1,
        doc_md=__doc__,
        description="Real time: Front's stored webhooks into the warehouse within seconds",
        tags=[*TAGS_COMMON, "realtime", *tenant.tags],
        default_args={**default_args(timedelta(minutes=10), tenant), "retry_delay": timedelta(seconds=10)},
    ) as dag:
        RealtimeApplyOperator(task_id="apply_webhooks", pool=tenant.pool)
        return dag


for _tenant in tenants():
    build(_tenant)
