"""Issue 21 end to end under `make airflow`: with its embedded simulator the script wires real time (signing
secret, company id, the receiver registered), so one simulated change travels simulator -> signed webhook ->
receiver -> stored row -> the triggerer's watcher -> front_sync_realtime -> the warehouse. Nothing is stored by
hand; the benchmark (bench/bench_realtime.py) measures the same chain under load."""

from __future__ import annotations

import re

import psycopg
import pytest

from .conftest import STARTUP_SECONDS, standalone_airflow
from .test_realtime_scheduler import DAG_ID, applied, wait_for

pytestmark = pytest.mark.integration


def rows(url: str, statement: str, params: tuple) -> list[tuple]:
    with psycopg.connect(url) as conn:
        return conn.execute(statement, params).fetchall()


@pytest.mark.timeout(900)  # Airflow's start on a shared 2-core machine takes most of it
def test_make_airflow_wires_the_simulators_webhooks_to_the_realtime_dag(new_database, tmp_path):
    from front_simulator.control import SimulatorControl

    url = new_database("rtwire")
    with standalone_airflow(url, None, tmp_path, "front-sync-rtwire-airflow-", {"DEMO_CONTACTS": "30"}) as airflow:
        registered = wait_for(
            lambda: re.search(r"Real time: the simulator sends .* to (\S+)", airflow.log.read_text()),
            STARTUP_SECONDS,
            "the simulator's webhook registered by the script",
        )
        sim_url = re.search(r"Front simulator on (http://\S+)", airflow.log.read_text()).group(1)
        control = SimulatorControl(sim_url)
        assert [w["url"] for w in control.webhooks()] == [registered.group(1)]
        airflow.wait_healthy(STARTUP_SECONDS)
        wait_for(lambda: airflow.request("GET", f"/api/v2/dags/{DAG_ID}")[0] == 200, STARTUP_SECONDS, "DAG parsed")
        status, body = airflow.request("PATCH", f"/api/v2/dags/{DAG_ID}", {"is_paused": False})
        assert status == 200, body

        changed = control.mutate("new_inbound", count=1)
        event_id, conversation_id = changed["events"][0], changed["ids"][0]
        message_id = changed["messages"][0]
        wait_for(lambda: applied(url, event_id), 300, "the webhook applied by a front_sync_realtime run")
        deliveries = control.webhook_deliveries(event_id=event_id)
        assert [d["status"] for d in deliveries if d["kind"] == "event"] == [200]
        assert rows(url, "SELECT 1 FROM front.conversations WHERE id = %s", (conversation_id,))
        assert rows(url, "SELECT 1 FROM front.messages WHERE id = %s", (message_id,))
        assert rows(url, "SELECT count(*) FROM front.webhook_events WHERE event_id = %s", (event_id,)) == [(1,)]
