"""
### front_sync_backfill

Initial load or re-load: every conversation (all statuses, trash included) and then its messages and comments.
Checkpointed after every committed batch: a retried or killed task resumes where it stopped. Params narrow it to
a time range of last activity (`after`, `before`, ISO dates) and/or `inbox_ids` (these use Front's search, which
costs 40 % of the rate budget). An unfinished backfill of the same scope is resumed by the next run too, unless
`restart` is set. Messages and comments are fetched only for conversations that changed since their sub-resources
were last synced (front.children_synced), so re-running an unchanged backfill costs its listing pages;
`refetch_children` fetches them all (e.g. to find comments deleted in Front, which emit no event). It never moves
a watermark back; it sets the conversations watermark to its start when there is none, so the incremental DAG's
events take over from there. `dry_run` writes nothing: it samples the account with a few read-only calls, checks
the token's scopes and logs the calls and time the load would take (as `front-sync estimate` prints them).
"""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.sdk import DAG, Asset, Param

from front_sync.config import Tenant, tenants
from front_sync.estimate.operator import DryRunGate
from front_sync.sync.conversation_operators import BackfillConversationsOperator, sub_resource_task
from front_sync.sync.operators import MigrateWarehouseOperator
from front_sync.sync.plan import SUB_RESOURCES, TAGS_COMMON, default_args, priority
from front_sync.sync.run_plan import RunKind


def build(tenant: Tenant) -> DAG:
    """front_sync_backfill of one tenant (the single default keeps the plain id)."""
    with DAG(
        dag_id=tenant.dag_id("front_sync_backfill"),
        schedule=None,
        start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
        catchup=False,
        max_active_runs=1,
        doc_md=__doc__,
        description="On demand: (re)load conversations, their messages and comments, optionally by date or inbox",
        tags=[*TAGS_COMMON, "backfill", *tenant.tags],
        render_template_as_native_obj=True,  # params reach the operators as lists and dicts, not their text
        default_args=default_args(timedelta(hours=12), tenant),
        params={
            "after": Param(
                None,
                type=["null", "string"],
                format="date-time",
                title="Active after",
                description="Only conversations with activity after this moment (ISO, with time zone).",
            ),
            "before": Param(None, type=["null", "string"], format="date-time", title="Active before"),
            "inbox_ids": Param(
                [],
                type=["null", "array"],
                items={"type": "string", "pattern": "^inb_[0-9a-z]+$"},
                title="Inbox ids",
                description="Only these inboxes (inb_...); empty for all.",
            ),
            "restart": Param(
                False,
                type=["null", "boolean"],
                title="Start over",
                description="Ignore the checkpoint of an unfinished backfill of the same scope.",
            ),
            "refetch_children": Param(
                False,
                type=["null", "boolean"],
                title="Fetch every conversation's messages and comments",
                description="Also for conversations unchanged since their messages and comments were synced.",
            ),
            "dry_run": Param(
                False,
                type=["null", "boolean"],
                title="Dry run: estimate only",
                description="Sample the account, check the token's scopes, log the cost; write nothing.",
            ),
        },
    ) as dag:
        conversations = BackfillConversationsOperator(
            task_id="backfill_conversations",
            pool=tenant.pool,
            priority_weight=priority("conversations"),
            scope_params="{{ params }}",
            outlets=[Asset("front_sync.conversations")],
        )
        gate = DryRunGate(task_id="dry_run_estimate", pool=tenant.pool, priority_weight=50)
        gate >> MigrateWarehouseOperator(task_id="migrate_warehouse", priority_weight=40) >> conversations
        for sub in SUB_RESOURCES:
            conversations >> sub_resource_task(sub.name, RunKind.BACKFILL, tenant.pool)
        return dag


for _tenant in tenants():
    build(_tenant)
