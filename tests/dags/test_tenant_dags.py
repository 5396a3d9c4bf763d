"""DAGs per tenant: ids, pools, connections and tenant name on every task; the single default keeps today's."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from front_sync_testing.dags import parse_dags

ROOT = Path(__file__).resolve().parents[2]
BASES = (
    "front_sync_incremental",
    "front_sync_full",
    "front_sync_messages",
    "front_sync_backfill",
    "front_sync_monitor",
    "front_sync_replay",
    "front_sync_realtime",
)
TENANTS = [
    {"name": "acme", "front_conn_id": "front_acme", "warehouse_conn_id": "warehouse_acme"},
    {"name": "globex", "front_conn_id": "front_globex", "warehouse_conn_id": "warehouse_globex", "pool_slots": 3},
]


@pytest.fixture(scope="module")
def tenant_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("tenants") / "tenants.json"
    path.write_text(json.dumps({"tenants": TENANTS}))
    return path


def parse(monkeypatch, tenant_file=None):
    if tenant_file is None:
        monkeypatch.delenv("FRONT_SYNC_TENANTS", raising=False)
    else:
        monkeypatch.setenv("FRONT_SYNC_TENANTS", str(tenant_file))
    return parse_dags()


def test_without_a_tenant_list_the_dags_keep_todays_ids_pool_and_connections(monkeypatch):
    dagbag = parse(monkeypatch)
    assert dagbag.import_errors == {}
    assert set(dagbag.dags) == set(BASES)
    for dag in dagbag.dags.values():
        assert not [tag for tag in dag.tags if tag.startswith("tenant:")]
        for task in dag.tasks:
            assert task.pool in ("front_api", "default_pool")
            assert getattr(task, "warehouse_conn_id", "front_warehouse") == "front_warehouse"
            assert getattr(task, "front_conn_id", "front_default") == "front_default"
            assert getattr(task, "tenant", None) is None


def test_every_tenant_gets_every_dag_with_its_own_pool_connections_and_name(monkeypatch, tenant_file):
    from front_sync.ops.notifications import SlackFailureAlert

    started = time.perf_counter()
    dagbag = parse(monkeypatch, tenant_file)
    parse_seconds = time.perf_counter() - started
    assert dagbag.import_errors == {}
    assert set(dagbag.dags) == {f"{base}__{t['name']}" for base in BASES for t in TENANTS}
    assert parse_seconds < 4.0  # twelve DAGs, still a cheap parse
    for spec in TENANTS:
        name = spec["name"]
        for base in BASES:
            dag = dagbag.dags[f"{base}__{name}"]
            assert f"tenant:{name}" in dag.tags
            for task in dag.tasks:
                where = f"{dag.dag_id}.{task.task_id}"
                assert task.pool in (f"front_api__{name}", "default_pool"), where
                if task.task_id == "dry_run_estimate":  # reads Front only, writes nothing
                    assert task.op_kwargs["front_conn_id"] == spec["front_conn_id"], where
                    continue
                assert task.warehouse_conn_id == spec["warehouse_conn_id"], where
                if task.task_id != "migrate_warehouse":  # the migration needs the warehouse only
                    assert task.tenant == name, where
                if hasattr(task, "front_conn_id"):
                    assert task.front_conn_id == spec["front_conn_id"], where
                alerts = [c for c in task.on_failure_callback if isinstance(c, SlackFailureAlert)]
                assert [(a.warehouse_conn_id, a.tenant) for a in alerts] == [(spec["warehouse_conn_id"], name)]
        syncs = [t for t in dagbag.dags[f"front_sync_incremental__{name}"].tasks if t.task_id.startswith("sync_")]
        assert syncs and {t.pool for t in syncs} == {f"front_api__{name}"}


def test_the_tenants_pools_are_what_the_pools_command_writes(monkeypatch, tenant_file):
    from front_sync.config import parse_tenants, tenant_pools

    pools = set(tenant_pools(parse_tenants(tenant_file.read_text()))) | {"default_pool"}
    for dag in parse(monkeypatch, tenant_file).dags.values():
        for task in dag.tasks:
            assert task.pool in pools, f"{dag.dag_id}.{task.task_id} uses {task.pool!r}"


def test_a_bad_tenant_list_is_an_import_error_naming_the_field(monkeypatch, tmp_path):
    bad = tmp_path / "tenants.json"
    bad.write_text(json.dumps({"tenants": [{**TENANTS[0], "name": "ACME"}]}))
    dagbag = parse(monkeypatch, bad)
    assert not dagbag.dags
    assert len(dagbag.import_errors) == len(BASES)
    assert all("field 'name'" in error for error in dagbag.import_errors.values())
