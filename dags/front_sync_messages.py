"""
### front_sync_messages

On demand: fetches the messages (with recipients and attachment metadata) of the conversations given in the run's
`conversation_ids` param, from the Airflow UI form or `airflow dags trigger front_sync_messages --conf
'{"conversation_ids": ["cnv_..."]}'`. Ids are validated before any API call. A well-formed id that Front does
not know (404) fails the run's last task, `check_found_in_front`, naming how many were not found.
"""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.sdk import DAG, Asset, Param

from front_sync.config import Tenant, tenants
from front_sync.ops.operators import MissingConversationsCheck
from front_sync.sync.conversation_operators import SubResourcesOperator
from front_sync.sync.operators import MigrateWarehouseOperator
from front_sync.sync.plan import TAGS_COMMON, default_args, priority
from front_sync.sync.run_plan import RunKind


def build(tenant: Tenant) -> DAG:
    """front_sync_messages of one tenant (the single default keeps the plain id)."""
    with DAG(
        dag_id=tenant.dag_id("front_sync_messages"),
        schedule=None,
        start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
        catchup=False,
        doc_md=__doc__,
        description="On demand: fetch the messages of the conversations you name (cnv_...)",
        tags=[*TAGS_COMMON, "on-demand", *tenant.tags],
        render_template_as_native_obj=True,  # params reach the operators as lists and dicts, not their text
        default_args=default_args(timedelta(hours=1), tenant),
        params={
            "conversation_ids": Param(
                type="array",
                minItems=1,
                maxItems=10000,
                uniqueItems=True,
                items={"type": "string", "pattern": "^cnv_[0-9a-z]+$"},
                title="Conversation ids",
                description="Front conversation ids (cnv_...) whose messages to sync.",
            ),
        },
    ) as dag:
        (
            MigrateWarehouseOperator(task_id="migrate_warehouse", priority_weight=40)
            >> SubResourcesOperator(
                task_id="sync_messages",
                resource="messages",
                kind=RunKind.ON_DEMAND,
                pool=tenant.pool,
                conversation_ids="{{ params.conversation_ids }}",
                priority_weight=priority("messages"),
                outlets=[Asset("front_sync.messages")],
            )
            >> MissingConversationsCheck(task_id="check_found_in_front")
        )
        return dag


for _tenant in tenants():
    build(_tenant)
