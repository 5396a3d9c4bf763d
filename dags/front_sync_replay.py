"""
### front_sync_replay

On demand, after the cause of some dead letters is fixed: loads `front.dead_letters` rows again through the
normal loader (the same conflict rules as a sync). Params: `resource` (only that resource's; empty for all) and
`error_contains` (only those whose error contains the text, any case). A record that loads is marked
`replayed_at` (kept, never deleted); one that fails again stays unreplayed with its new error. A dead-lettered
conversation of the messages/comments queue goes back in the queue; a dead-lettered event is applied again through
the events sync's own path. Dead letters of a name nothing replays are reported (task log, return value) and left
as they are. One `sync_logs` row per resource (`sync_type` = `replay`).
`airflow dags trigger front_sync_replay --conf '{"resource": "contacts"}'`.
"""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.sdk import DAG, Param

from front_sync.config import Tenant, tenants
from front_sync.resources import ALL_RESOURCES
from front_sync.sync.operators import MigrateWarehouseOperator
from front_sync.sync.plan import TAGS_COMMON, default_args
from front_sync.sync.replay_operator import REPLAYABLE_EVENTS, ReplayOperator


def build(tenant: Tenant) -> DAG:
    """front_sync_replay of one tenant (the single default keeps the plain id)."""
    with DAG(
        dag_id=tenant.dag_id("front_sync_replay"),
        schedule=None,
        start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
        catchup=False,
        max_active_runs=1,
        doc_md=__doc__,
        description="On demand: load dead-lettered records again once their cause is fixed",
        tags=[*TAGS_COMMON, "on-demand", *tenant.tags],
        default_args=default_args(timedelta(hours=2), tenant),
        params={
            "resource": Param(
                None,
                type=["null", "string"],
                enum=[None, *(r.name for r in ALL_RESOURCES), REPLAYABLE_EVENTS],
                values_display={"null": "All resources"},
                title="Resource",
                description="Only this resource's dead letters (empty: all).",
            ),
            "error_contains": Param(
                None,
                type=["null", "string"],
                title="Error contains",
                description="Only dead letters whose error contains this text (any case).",
            ),
        },
    ) as dag:
        MigrateWarehouseOperator(task_id="migrate_warehouse", priority_weight=40) >> ReplayOperator(
            task_id="replay_dead_letters",
            resource="{{ params.resource or '' }}",
            error_contains="{{ params.error_contains or '' }}",
        )
        return dag


for _tenant in tenants():
    build(_tenant)
