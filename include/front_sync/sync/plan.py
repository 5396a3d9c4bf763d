"""Which resources each DAG syncs, how, and with what priority: the DAG files only wire what this says."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from front_sync.config import Tenant
from front_sync.ops.notifications import SlackFailureAlert
from front_sync.resources import get_resource, synced
from front_sync.resources.model import LISTED, PER_CONVERSATION

# Listed by their endpoint (small resources in full, contacts since their watermark), in load order, and the
# per-conversation children; both follow the resource table (Resource.flow).
LIST_RESOURCES = synced(LISTED)
CHILD_RESOURCES = synced(PER_CONVERSATION)


def priority(resource_name: str) -> int:
    """priority_weight of a resource's task (Resource.priority: foundation, contacts, conversations, children)."""
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
