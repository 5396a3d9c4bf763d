"""Which resources each DAG syncs, how, and with what priority: the DAG files only wire what this says."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from airflow.sdk import Param

from front_sync.config import Tenant
from front_sync.ops.notifications import SlackFailureAlert
from front_sync.resources import CONVERSATIONS, get_resource, synced
from front_sync.resources.model import LISTED, PER_CONVERSATION

# Listed by their endpoint (small resources in full, contacts since their watermark), in load order, and the
# per-conversation sub-resources; both follow the resource table (Resource.flow).
LIST_RESOURCES = synced(LISTED)
SUB_RESOURCES = synced(PER_CONVERSATION)


def priority(resource_name: str) -> int:
    """priority_weight of a resource's task (Resource.priority: foundation, contacts, conversations, sub-resources)."""
    return get_resource(resource_name).priority


def default_args(execution_timeout: timedelta, tenant: Tenant | None = None) -> dict[str, Any]:
    """The operational defaults every front-sync task gets: retries with backoff, timeout, Slack on failure, and
    the tenant's connections and name (Airflow hands a default_args entry to every operator that takes it)."""
    tenant = tenant or Tenant()
    return {
        **tenant.task_defaults(),
        "owner": "data-platform",
        "retries": 3,
        "retry_delay": timedelta(minutes=1),
        "retry_exponential_backoff": True,
        "max_retry_delay": timedelta(minutes=15),
        "execution_timeout": execution_timeout,
        "on_failure_callback": [SlackFailureAlert(warehouse_conn_id=tenant.warehouse_conn_id, tenant=tenant.name)],
    }


TAGS_COMMON = ["source:front", "front-sync"]


def incremental_params() -> dict[str, Param]:
    """The hourly DAG's run parameters (the page's "Sync now" sets them): a scheduled run uses the defaults."""
    names = [r.name for r in (*LIST_RESOURCES, CONVERSATIONS, *SUB_RESOURCES)]
    return {
        "resources": Param(
            [],
            type=["null", "array"],
            items={"type": "string", "enum": names},
            title="Only these resources",
            description="Empty: every resource. Messages or comments bring their conversations.",
        ),
        "force_directory_refresh": Param(
            False,
            type=["null", "boolean"],
            title="List the small resources now",
            description="Even if listed within directory_refresh_minutes.",
        ),
        "resync_from": Param(
            None,
            type=["null", "string"],
            title="Re-sync conversations from",
            description="Manual runs: a point in time (ISO-8601 with a zone, or epoch seconds) to "
            "re-sync conversations, messages and comments from. Empty: a normal run.",
        ),
    }


def not_chosen(resource: str, params: Any) -> str | None:
    """Why a resource's task sits out a run limited to other resources (its `resources` param), else None."""
    chosen = set((params or {}).get("resources") or ())
    if not chosen or resource in chosen:
        return None
    if resource == CONVERSATIONS.name and chosen & {c.name for c in SUB_RESOURCES}:
        return None  # messages and comments follow the conversations this run reads
    return f"this run syncs only {', '.join(sorted(chosen))} (its resources parameter)"
