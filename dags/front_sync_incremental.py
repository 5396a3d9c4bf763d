"""
### front_sync_incremental

Brings the warehouse up to date with what changed in Front (default hourly; `FRONT_SYNC_INCREMENTAL_SCHEDULE`).

- small resources (teammates, teams, inboxes, channels, contact lists, tags, statuses, accounts, links, custom
  fields): listed in full, deletions reconciled; contacts: `q[updated_after]` from their watermark minus the overlap;
- conversations: from the Events API (or the listing strategy, `front_sync.config`), then their messages and
  comments, fetched for the conversations whose events can change them.

Each task writes one `front.sync_logs` row and advances its watermark only after its data is committed.

Re-sync conversations from a point in time: trigger with `resync_from` (ISO-8601 time or epoch seconds), e.g.
`airflow dags trigger front_sync_incremental --conf '{"resync_from": "2026-12-01T00:00:00Z"}'`: sets the
conversations watermark back, forgets the events applied since (they are applied again) and queues the messages and
comments of the conversations changed since (docs/runbook.md, "Re-sync from a point in time").

A manual run can narrow itself (the Front sync page's "Sync now" does): `resources` (only these; messages or
comments bring their conversations) and `force_directory_refresh` (list the small resources even if listed
within `directory_refresh_minutes`).
"""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.sdk import DAG, Asset, CronDataIntervalTimetable

from front_sync.config import Tenant, schedule, tenants
from front_sync.sync.conversation_operators import ConversationChangesOperator, sub_resource_task
from front_sync.sync.operators import FrontSyncOperator, MigrateWarehouseOperator
from front_sync.sync.plan import (
    LIST_RESOURCES,
    SUB_RESOURCES,
    TAGS_COMMON,
    default_args,
    incremental_params,
    priority,
)
from front_sync.sync.run_plan import RunKind


def build(tenant: Tenant) -> DAG:
    """front_sync_incremental of one tenant (the single default keeps the plain id)."""
    with DAG(
        dag_id=tenant.dag_id("front_sync_incremental"),
        schedule=CronDataIntervalTimetable(schedule("incremental"), timezone="UTC"),
        start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
        catchup=False,
        max_active_runs=1,
        doc_md=__doc__,
        description="Hourly: what changed in Front since the last run, into the warehouse",
        params=incremental_params(),
        tags=[*TAGS_COMMON, "incremental", *tenant.tags],
        # One run at a time, backfills included: `airflow backfill create` ignores max_active_runs (a backfill has
        # its own, 10 unless --max-active-runs is given), so each task also runs one interval at a time.
        default_args={**default_args(timedelta(minutes=50), tenant), "max_active_tis_per_dag": 1},
    ) as dag:
        migrate = MigrateWarehouseOperator(task_id="migrate_warehouse", priority_weight=40)
        for resource in LIST_RESOURCES:
            migrate >> FrontSyncOperator(
                task_id=f"sync_{resource.name}",
                resource=resource.name,
                kind=RunKind.INCREMENTAL,
                pool=tenant.pool,
                priority_weight=priority(resource.name),
                outlets=[Asset(f"front_sync.{resource.name}")],
            )
        conversations = ConversationChangesOperator(
            task_id="sync_conversations",
            resource="conversations",
            pool=tenant.pool,
            priority_weight=priority("conversations"),
            outlets=[Asset("front_sync.conversations")],
        )
        migrate >> conversations
        for sub in SUB_RESOURCES:
            conversations >> sub_resource_task(sub.name, RunKind.INCREMENTAL, tenant.pool)
        return dag


for _tenant in tenants():
    build(_tenant)
