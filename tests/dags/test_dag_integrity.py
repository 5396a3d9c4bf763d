"""Every DAG parses, is wired to the resource table, and carries the operational defaults."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from front_sync_testing.dags import parse_dags

ROOT = Path(__file__).resolve().parents[2]


def test_no_import_errors(dagbag):
    assert dagbag.import_errors == {}
    assert set(dagbag.dags) == {
        "front_sync_incremental",
        "front_sync_full",
        "front_sync_messages",
        "front_sync_backfill",
        "front_sync_monitor",
        "front_sync_replay",
        "front_sync_realtime",
    }


def test_parsing_all_dags_is_fast():
    started = time.perf_counter()
    parse_dags()
    assert time.perf_counter() - started < 2.0


def test_every_dag_has_tags_retries_and_failure_callback(dagbag):
    from front_sync.ops.notifications import SlackFailureAlert

    for dag_id, dag in dagbag.dags.items():
        assert dag.tags, f"{dag_id} has no tags"
        for task in dag.tasks:
            assert task.retries >= 2, f"{dag_id}.{task.task_id} retries {task.retries}"
            callbacks = task.on_failure_callback or []
            callbacks = callbacks if isinstance(callbacks, list) else [callbacks]
            assert any(isinstance(c, SlackFailureAlert) for c in callbacks), f"{dag_id}.{task.task_id}"


def test_every_pool_exists_in_pools_json(dagbag):
    pools = set(json.loads((ROOT / "pools.json").read_text())) | {"default_pool"}
    for dag in dagbag.dags.values():
        for task in dag.tasks:
            assert task.pool in pools, f"{dag.dag_id}.{task.task_id} uses unknown pool {task.pool!r}"


def test_incremental_tasks_follow_the_plan(dagbag):
    from front_sync.sync.plan import LIST_RESOURCES, SUB_RESOURCES

    dag = dagbag.dags["front_sync_incremental"]
    expected = {"migrate_warehouse", "sync_conversations"} | {
        f"sync_{r.name}" for r in (*LIST_RESOURCES, *SUB_RESOURCES)
    }
    assert {t.task_id for t in dag.tasks} == expected
    for resource in LIST_RESOURCES:
        task = dag.get_task(f"sync_{resource.name}")
        assert "migrate_warehouse" in task.upstream_task_ids
    for child in SUB_RESOURCES:
        assert dag.get_task(f"sync_{child.name}").upstream_task_ids == {"sync_conversations"}
    assert dag.max_active_runs == 1
    assert dag.catchup is False


@pytest.mark.parametrize(
    "dag_id", ["front_sync_incremental", "front_sync_full", "front_sync_messages", "front_sync_backfill"]
)
def test_every_dag_migrates_first_and_declares_outlets_docs_and_timeouts(dagbag, dag_id):
    dag = dagbag.dags[dag_id]
    assert dag.doc_md and len(dag.doc_md) > 100
    migrate = dag.get_task("migrate_warehouse")
    assert migrate.upstream_task_ids <= {"dry_run_estimate"}  # the backfill's dry run writes nothing, not even this
    for task in dag.tasks:
        assert task.execution_timeout is not None and task.retry_exponential_backoff
        if task.task_id == "dry_run_estimate":  # API calls only on a dry run, and it loads nothing
            assert task.pool == "front_api" and not task.outlets and not task.upstream_task_ids
        elif task.task_id == "report_schema_drift":  # no API call, no outlet: it reads the warehouse only
            assert set(task.upstream_task_ids) == {
                t.task_id for t in dag.tasks if t.task_id.startswith(("sync_", "verify_"))
            }
        elif task.task_id == "check_found_in_front":  # reads the run's sync_logs rows only, after the sync
            assert set(task.upstream_task_ids) == {"sync_messages"} and not task.outlets
        elif task.task_id != "migrate_warehouse":
            assert task.pool == "front_api"
            assert [a.name for a in task.outlets] == [f"front_sync.{task.resource}"]
            assert "migrate_warehouse" in task.get_flat_relative_ids(upstream=True)


def test_backfill_dry_run_gates_every_task(dagbag):
    dag = dagbag.dags["front_sync_backfill"]
    assert dag.params["dry_run"] is False
    gated = dag.get_task("dry_run_estimate").get_flat_relative_ids(upstream=False)
    assert gated == {t.task_id for t in dag.tasks} - {"dry_run_estimate"}


def test_priorities_favour_foundation_then_conversations_then_messages(dagbag):
    dag = dagbag.dags["front_sync_incremental"]
    weight = {t.task_id: t.priority_weight for t in dag.tasks}
    assert weight["sync_tags"] > weight["sync_conversations"] > weight["sync_messages"]
    assert weight["sync_inboxes"] > weight["sync_conversations"] > weight["sync_comments"]


def test_schedules_come_from_the_environment(monkeypatch):
    from front_sync.config import ConfigError, schedule

    assert schedule("incremental") == "0 * * * *" and schedule("full") == "0 2 * * *"
    monkeypatch.setenv("FRONT_SYNC_FULL_SCHEDULE", "0 3 * * 0")
    assert schedule("full") == "0 3 * * 0"
    monkeypatch.setenv("FRONT_SYNC_INCREMENTAL_SCHEDULE", "every hour")
    with pytest.raises(ConfigError, match="FRONT_SYNC_INCREMENTAL_SCHEDULE"):
        schedule("incremental")


def test_front_connection_type_is_registered():
    from airflow.sdk.providers_manager_runtime import ProvidersManagerTaskRuntime

    hook = ProvidersManagerTaskRuntime().hooks["front"]
    assert hook is not None and hook.hook_class_name == "front_sync.hooks.front.FrontHook"
    assert hook.package_name == "front-sync"


def test_the_incremental_dag_runs_one_interval_at_a_time_even_in_a_backfill(dagbag):
    # A backfill's runs ignore the DAG's max_active_runs (the backfill has its own, 10 by default): each task
    # of the hourly DAG runs one interval at a time whatever created the runs.
    dag = dagbag.dags["front_sync_incremental"]
    assert dag.max_active_runs == 1
    assert {task.task_id: task.max_active_tis_per_dag for task in dag.tasks} == {t.task_id: 1 for t in dag.tasks}


def test_param_forms_mark_only_required_fields_and_show_no_null(dagbag):
    """Issue 22 finding 6: Airflow's trigger form marks a field required when its type does not include "null"
    (the backfill form marked every optional field), and shows an enum's None as the word "null" unless
    values_display names it (the replay form)."""
    for dag_id, dag in dagbag.dags.items():
        for name in dag.params:
            schema = dag.params.get_param(name).schema
            types = schema.get("type")
            types = types if isinstance(types, list) else [types]
            required = "null" not in types
            assert required == (dag_id == "front_sync_messages" and name == "conversation_ids"), (dag_id, name)
            if None in schema.get("enum", ()):
                assert schema.get("values_display", {}).get("null"), (dag_id, name)


def test_the_nightly_dag_verifies_each_child_resource_after_fetching_it(dagbag):
    """Issue 19, rolling verification: verify_<child> runs after sync_<child> in front_sync_full."""
    from front_sync.sync.plan import SUB_RESOURCES

    dag = dagbag.dags["front_sync_full"]
    for child in SUB_RESOURCES:
        assert dag.get_task(f"verify_{child.name}").upstream_task_ids == {f"sync_{child.name}"}


def test_every_sync_task_runs_a_kind_its_resource_can_run_as(dagbag):
    """Issue 20 item 1: the DAG files wire a RunKind per task; each (kind, resource) has a plan."""
    from front_sync.config import SyncConfig
    from front_sync.resources import get_resource
    from front_sync.sync.operators import SyncTask
    from front_sync.sync.run_plan import RunRequest, run_plan

    kinds = {}
    for dag_id, dag in dagbag.dags.items():
        for task in dag.tasks:
            if isinstance(task, SyncTask):
                run_plan(task.kind, get_resource(task.resource), RunRequest("scheduled"), None, SyncConfig())
                kinds.setdefault(dag_id, set()).add(task.kind.value)
    assert kinds == {
        "front_sync_incremental": {"incremental"},
        "front_sync_full": {"full", "verification"},
        "front_sync_backfill": {"backfill"},
        "front_sync_messages": {"on_demand"},
    }


def test_a_kind_outside_the_run_kinds_is_refused_when_the_dag_is_parsed():
    from front_sync.sync.operators import FrontSyncOperator

    with pytest.raises(ValueError, match="kind must be one of incremental, full, backfill, on_demand, verification"):
        FrontSyncOperator(task_id="sync_tags", resource="tags", kind="nightly")
