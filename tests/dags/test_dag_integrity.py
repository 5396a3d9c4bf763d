"""Every DAG parses, is wired to the resource table, and carries the operational defaults."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def dagbag():
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(ROOT / "dags"))


def test_no_import_errors(dagbag):
    assert dagbag.import_errors == {}
    assert "front_sync_incremental" in dagbag.dags


def test_parsing_all_dags_is_fast():
    from airflow.dag_processing.dagbag import DagBag

    started = time.perf_counter()
    DagBag(dag_folder=str(ROOT / "dags"))
    assert time.perf_counter() - started < 2.0


def test_every_dag_has_tags_retries_and_failure_callback(dagbag):
    from front_sync.notifications import SlackFailureAlert

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


def test_incremental_tasks_follow_the_resource_table(dagbag):
    from front_sync.resources import RESOURCES

    dag = dagbag.dags["front_sync_incremental"]
    assert {t.task_id for t in dag.tasks} == {"migrate_warehouse"} | {f"sync_{r.name}" for r in RESOURCES}
    for resource in RESOURCES:
        task = dag.get_task(f"sync_{resource.name}")
        assert task.pool == "front_api"
        assert "migrate_warehouse" in task.upstream_task_ids
        assert [a.name for a in task.outlets] == [f"front_sync.{resource.name}"]
    assert dag.max_active_runs == 1
    assert dag.catchup is False


def test_front_connection_type_is_registered():
    from airflow.sdk.providers_manager_runtime import ProvidersManagerTaskRuntime

    hook = ProvidersManagerTaskRuntime().hooks["front"]
    assert hook is not None and hook.hook_class_name == "front_sync.hooks.front.FrontHook"
    assert hook.package_name == "front-sync"
