"""`front-sync estimate` against the simulator at three sizes: its figures are within 20 % of the calls the real
initial load (backfill DAG + first hourly run) and a typical hourly run make; a missing scope is named; the
backfill DAG's dry run writes nothing; the console script reads the token from an environment variable only."""

from __future__ import annotations

import json
import time
from decimal import Decimal

import pytest

from front_sync.config import CONFIG_VARIABLE, SyncConfig
from front_sync.estimate.cli import main, run_estimate
from front_sync.estimate.cost import render
from front_sync.estimate.sample import SampleLimits
from front_sync.hooks.front import FrontHook
from front_sync_testing.truth import SIZES, query, run, wait_past

pytestmark = pytest.mark.integration

ACCOUNTS = {
    "small": {**SIZES, "contacts": 80, "conversations": 40},
    "medium": {**SIZES, "contacts": 450, "conversations": 160},
    "large": {**SIZES, "contacts": 1400, "conversations": 350},
}
ACTIVITY = 80  # random_activity actions per "hour"
# The test's hour lasts seconds: an overlap would re-read the previous "hour" whole (a real one re-reads 5 min).
CONFIG = SyncConfig(overlap_seconds=0)


def total_calls(simulator) -> int:
    return simulator.stats()["totals"]["calls"]


def estimated(simulator):
    with FrontHook() as front:
        return run_estimate(front, CONFIG, Decimal(repr(time.time())), SampleLimits(activity_hours=1))


@pytest.mark.parametrize("size", sorted(ACCOUNTS), ids=sorted(ACCOUNTS))
def test_estimate_is_within_20_percent_of_the_real_calls(size, dags, simulator, warehouse_url, clean_variables, capsys):
    simulator.reset(seed=7, sizes=ACCOUNTS[size])
    clean_variables.set(CONFIG_VARIABLE, json.dumps({"overlap_seconds": 0}))
    simulator.mutate("random_activity", count=ACTIVITY)  # the recent activity the estimate measures
    wait_past(simulator)
    simulator.reset_stats()
    result = estimated(simulator)
    own_calls = total_calls(simulator)
    assert own_calls == result.sample.calls and own_calls <= 60

    simulator.reset_stats()
    assert run(dags["front_sync_backfill"]).state == "success"
    assert run(dags["front_sync_incremental"]).state == "success"
    initial = total_calls(simulator)

    simulator.mutate("random_activity", count=ACTIVITY)
    wait_past(simulator)
    simulator.reset_stats()
    assert run(dags["front_sync_incremental"]).state == "success"
    hourly = total_calls(simulator)

    figures = {"initial": (result.calls(result.initial), initial), "hourly": (result.calls(result.hourly), hourly)}
    with capsys.disabled():
        print(
            f"\n[estimate {size}] {ACCOUNTS[size]['contacts']} contacts, {ACCOUNTS[size]['conversations']} "
            f"conversations: estimate vs real {figures}; the estimate's own calls: {own_calls}"
        )
    for run_kind, (guess, real) in figures.items():
        assert abs(guess - real) <= 0.2 * real, f"{run_kind}: estimated {guess} calls, the run made {real}"


def test_a_missing_scope_is_named_per_endpoint(simulator, warehouse_url):
    simulator.reset(seed=8, sizes={**SIZES, "contacts": 20, "conversations": 10})
    # Front answers 403 on an endpoint the token's scopes do not cover (a status fault stands for it).
    simulator.set_faults(
        [
            {"endpoint": "/conversations/{id}/comments", "kind": "status", "status": 403},
            {"endpoint": "/teams", "kind": "status", "status": 403},
        ]
    )
    result = estimated(simulator)
    assert result.sample.scope_errors == {
        "/conversations/{parent_id}/comments": "403: needs comments:read",
        "/teams": "403: needs teams:read",
    }
    report = render(result)
    assert "SCOPES MISSING" in report and "comments:read" in report


def test_a_rejected_token_is_named_and_nothing_else_is_read(simulator, connect_front, simulator_server, monkeypatch):
    from tests.conftest import front_connection_json

    monkeypatch.setenv("AIRFLOW_CONN_FRONT_DEFAULT", front_connection_json(simulator_server.base_url, token="wrong"))
    simulator.reset_stats()
    result = estimated(simulator)
    assert list(result.sample.scope_errors) == ["/me"] and result.sample.scope_errors["/me"].startswith("401")
    assert total_calls(simulator) == 1


def test_backfill_dry_run_writes_nothing(dags, simulator, warehouse_url, clean_variables):
    simulator.reset(seed=9, sizes={**SIZES, "contacts": 20, "conversations": 10})
    simulator.reset_stats()
    dag_run = run(dags["front_sync_backfill"], dry_run=True)
    states = {ti.task_id: ti.state for ti in dag_run.get_task_instances()}
    assert states.pop("dry_run_estimate") == "success"
    assert set(states.values()) == {"skipped"}
    assert not query(warehouse_url, "SELECT 1 FROM information_schema.schemata WHERE schema_name = 'front'")
    assert 0 < total_calls(simulator) <= 60
    assert clean_variables.get("front_sync.watermark.conversations", default_var=None) is None


def test_console_script_takes_the_token_from_the_environment_and_never_prints_it(
    simulator, simulator_server, monkeypatch, capsys
):
    simulator.reset(seed=10, sizes={**SIZES, "contacts": 20, "conversations": 10})
    monkeypatch.setenv("FRONT_TEST_TOKEN", "test-token")
    link_base = simulator_server.base_url.replace("127.0.0.1", "localhost")  # the host its links name
    status = main(
        [
            "estimate",
            "--base-url",
            link_base,
            "--token-env",
            "FRONT_TEST_TOKEN",
            "--rpm",
            "200",
            "--share",
            "0.5",
            "--sync-config",
            "{}",
        ]
    )
    out = capsys.readouterr().out
    assert status == 0
    assert "Plan: 200 rpm x share 0.5 = 100 calls/min" in out and "Initial load" in out and "Typical hourly" in out
    assert "test-token" not in out
