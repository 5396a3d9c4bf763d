"""
### front_sync_full

Nightly (default 02:00 UTC; `FRONT_SYNC_FULL_SCHEDULE`): lists contacts and the small resources in full, then
reconciles deletions: rows a completed listing no longer returns get `deleted_at` (never a hard delete), rows that
come back lose it. It may raise a watermark, never lower it. It also re-lists every conversation (one call per
100), so changes that emit no event (a tag renamed, a contact renamed in a conversation's recipients) converge
within a day, and fetches the messages and comments of conversations changed since their last fetch. Then the
rolling verification (`verify_<sub-resource>`) re-fetches the messages and comments of tonight's slice of conversations
(about 1/verify_days of all), so a change Front announced by no event converges within verify_days. Last,
`report_schema_drift` sends the schema drift every sync noted (front.schema_drift: fields Front added or stopped
sending) to Slack, each field once.
"""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.sdk import DAG, Asset, CronDataIntervalTimetable

from front_sync.config import Tenant, schedule, tenants
from front_sync.ops.operators import ReportSchemaDriftOperator
from front_sync.sync.conversation_operators import (
    ConversationListingOperator,
    VerifySubResourcesOperator,
    sub_resource_task,
)
from front_sync.sync.operators import FrontSyncOperator, MigrateWarehouseOperator
from front_sync.sync.plan import LIST_RESOURCES, SUB_RESOURCES, TAGS_COMMON, default_args, priority
from front_sync.sync.run_plan import RunKind


def build(tenant: Tenant) -> DAG:
    """front_sync_full of one tenant (the single default keeps the plain id)."""
    with DAG(
        dag_id=tenant.dag_id("front_sync_full"),
        schedule=CronDataIntervalTimetable(schedule("full"), timezone="UTC"),
        start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
        catchup=False,
        max_active_runs=1,
        doc_md=__doc__,
        description="Nightly: every resource listed in full, deletions in Front reconciled",
        tags=[*TAGS_COMMON, "full", *tenant.tags],
        default_args=default_args(timedelta(hours=3), tenant),
    ) as dag:
        migrate = MigrateWarehouseOperator(task_id="migrate_warehouse", priority_weight=40)
        # After every sync, whether it succeeded or not: a sync that failed may still have noted drift.
        report = ReportSchemaDriftOperator(task_id="report_schema_drift", trigger_rule="all_done")
        for resource in LIST_RESOURCES:
            (
                migrate
                >> FrontSyncOperator(
                    task_id=f"sync_{resource.name}",
                    resource=resource.name,
                    kind=RunKind.FULL,
                    pool=tenant.pool,
                    priority_weight=priority(resource.name),
                    outlets=[Asset(f"front_sync.{resource.name}")],
                )
                >> report
            )
        conversations = ConversationListingOperator(
            task_id="sync_conversations",
            pool=tenant.pool,
            priority_weight=priority("conversations"),
            outlets=[Asset("front_sync.conversations")],
        )
        migrate >> conversations >> report
        for sub in SUB_RESOURCES:
            fetch = sub_resource_task(sub.name, RunKind.FULL, tenant.pool)
            verify = VerifySubResourcesOperator(
                task_id=f"verify_{sub.name}",
                resource=sub.name,
                pool=tenant.pool,
                priority_weight=priority(sub.name),
                outlets=[Asset(f"front_sync.{sub.name}")],
            )
            conversations >> fetch >> verify >> report
            fetch >> report
        return dag


for _tenant in tenants():
    build(_tenant)
