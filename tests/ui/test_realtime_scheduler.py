"""Issue 21 "Airflow-native wake-up" under the real scheduler: `make airflow`'s standalone Airflow (scheduler,
triggerer, dag-processor, LocalExecutor) runs front_sync_realtime's AssetWatcher; a webhook stored in the warehouse
starts a run within seconds, which applies it. No browser needed."""

from __future__ import annotations

import time
from decimal import Decimal

import psycopg
import pytest

from tests.integration.webhooks import store

from .conftest import STARTUP_SECONDS, front_connection_json, standalone_airflow

pytestmark = pytest.mark.integration
DAG_ID = "front_sync_realtime"


def applied(url: str, event_id: str) -> bool:
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT applied_at FROM front.webhook_events WHERE event_id = %s", (event_id,)).fetchone()
    return row is not None and row[0] is not None


def tag_event(control) -> dict:
    """A new conversation-only event in the simulator (needs no API call to apply)."""
    before = {e["id"] for e in control.truth("events")["_results"]}
    control.mutate("tag", count=1)
    new = [e for e in control.truth("events")["_results"] if e["id"] not in before]
    return max(new, key=lambda e: Decimal(str(e["emitted_at"])))


def runs(airflow) -> list[dict]:
    status, body = airflow.request("GET", f"/api/v2/dags/{DAG_ID}/dagRuns?order_by=-run_after&limit=50")
    assert status == 200, body
    return body["dag_runs"]


def wait_for(condition, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.5)
    pytest.fail(f"{what} not within {timeout} s")


@pytest.mark.timeout(900)  # Airflow's start on a shared 2-core machine takes most of it
def test_a_stored_webhook_starts_a_realtime_run_within_seconds(new_database, simulator_server, tmp_path):
    from front_simulator.control import SimulatorControl
    from front_sync.warehouse import migrations

    url = new_database("rt")
    with psycopg.connect(url) as conn:
        migrations.migrate(conn)
    control = SimulatorControl(simulator_server.base_url)
    control.clear_faults()
    control.reset(seed=5, sizes={"contacts": 5, "conversations": 4})
    with standalone_airflow(
        url, front_connection_json(simulator_server.base_url), tmp_path, "front-sync-rt-airflow-"
    ) as airflow:
        airflow.wait_healthy(STARTUP_SECONDS)
        wait_for(lambda: airflow.request("GET", f"/api/v2/dags/{DAG_ID}")[0] == 200, STARTUP_SECONDS, "DAG parsed")
        status, body = airflow.request("PATCH", f"/api/v2/dags/{DAG_ID}", {"is_paused": False})
        assert status == 200, body

        # Warm-up: the watcher starts once the DAG is active and finds this webhook at its first look.
        first = tag_event(control)
        store(url, [first])
        wait_for(lambda: applied(url, first["id"]), 300, "the first webhook applied (watcher started)")
        wait_for(lambda: all(r["state"] == "success" for r in runs(airflow)), 120, "the first run finished")
        known = {r["dag_run_id"] for r in runs(airflow)}

        second = tag_event(control)
        started = time.monotonic()
        store(url, [second])
        new_run = wait_for(lambda: [r for r in runs(airflow) if r["dag_run_id"] not in known], 120, "a new run")
        to_run = time.monotonic() - started
        wait_for(lambda: applied(url, second["id"]), 120, "the second webhook applied")
        to_row = time.monotonic() - started
        print(f"webhook stored -> run created {to_run:.1f} s, -> row committed {to_row:.1f} s")
        assert new_run[0]["run_type"] == "asset_triggered"
        assert to_run <= 30, to_run  # seconds on a quiet machine; a bound, not a pace, on this shared one
