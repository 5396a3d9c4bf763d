"""Real time for `make airflow` and `make airflow-celery` on the embedded simulator: the front_webhook connection
(a fresh signing secret, the simulator's company id) and the simulator's webhook registered to the receiver.

    python scripts/realtime_wiring.py connection SIM_URL            # prints the connection's JSON
    python scripts/realtime_wiring.py register SIM_URL RECEIVER_URL WAREHOUSE
        # the warehouse migrated (the receiver stores webhooks before any DAG ran), then the simulator's webhook
        # registered (secret from AIRFLOW_CONN_FRONT_WEBHOOK); WAREHOUSE: a URI or an Airflow connection's JSON
"""

from __future__ import annotations

import json
import os
import secrets
import sys
import time
from collections.abc import Callable
from typing import Any

import requests

WAIT_SECONDS = 90.0  # the receiver imports Airflow's SDK at start: seconds on a loaded 2-core machine


def wait(what: str, probe: Callable[[], Any], timeout: float = WAIT_SECONDS) -> Any:
    """probe() until it returns something truthy (connection errors count as not yet); SystemExit after timeout."""
    ends = time.monotonic() + timeout
    while True:
        try:
            value = probe()
            if value:
                return value
        except requests.RequestException:
            pass
        if time.monotonic() > ends:
            raise SystemExit(f"{what} did not answer within {timeout:.0f} s")
        time.sleep(0.5)


def connection(sim_url: str) -> str:
    """front_webhook's JSON: a new signing secret and the company id the simulator signs its webhooks for."""
    from front_simulator.control import SimulatorControl

    control = SimulatorControl(sim_url, timeout=10)
    company_id = wait("the Front simulator", lambda: control.config()["company_id"])
    secret = secrets.token_urlsafe(32)
    return json.dumps({"conn_type": "generic", "password": secret, "extra": {"company_id": company_id}})


def migrate(warehouse: str) -> None:
    """The warehouse's schema (idempotent; every DAG task does the same): the receiver needs front.webhook_events
    from the first webhook on, and on a fresh warehouse no DAG has run yet."""
    import psycopg

    from front_sync.warehouse import migrations

    if warehouse.startswith("{"):
        from airflow.models import Connection

        warehouse = Connection.from_json(warehouse, conn_id="front_warehouse").get_uri()
    with psycopg.connect(warehouse) as conn:
        migrations.migrate(conn)


def register(sim_url: str, receiver_url: str, warehouse: str) -> str:
    """Migrate the warehouse, then register the receiver's URL with the simulator once /healthz answers; a line
    saying where webhooks go."""
    from front_simulator.control import SimulatorControl

    migrate(warehouse)
    secret = json.loads(os.environ["AIRFLOW_CONN_FRONT_WEBHOOK"])["password"]
    wait("the webhook receiver", lambda: requests.get(f"{receiver_url}/healthz", timeout=5).ok)
    url = receiver_url + os.environ.get("FRONT_SYNC_WEBHOOK_PATH", "/webhooks/front")
    SimulatorControl(sim_url, timeout=30).register_webhook(url, secret)
    return f"Real time: the simulator sends a signed webhook for every change to {url} (front_sync_realtime)"


def main(argv: list[str]) -> int:
    if len(argv) == 2 and argv[0] == "connection":
        print(connection(argv[1]))
        return 0
    if len(argv) == 4 and argv[0] == "register":
        print(register(argv[1], argv[2], argv[3]))
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
