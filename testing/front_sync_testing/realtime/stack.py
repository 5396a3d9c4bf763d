"""The real-time benchmark's stack under the real scheduler (`make airflow`'s topology): a throwaway warehouse and
metadata database, the simulator in its own process, Airflow's api-server, scheduler, dag-processor and triggerer
(LocalExecutor), and the webhook receiver as its own process, registered with the simulator."""

from __future__ import annotations

import contextlib
import json
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

import requests

from front_sync_testing import ROOT
from front_sync_testing.db import create_database, fetch
from front_sync_testing.soak.airflow_site import AirflowSite
from front_sync_testing.soak.infra import (
    Deadline,
    SoakError,
    Workspace,
    base_env,
    free_port,
    log,
    python,
    python_path,
    start_postgres,
    start_simulator,
    wait_for,
)

REALTIME_DAG = "front_sync_realtime"
FINISHED = ("success", "failed")
# Only triggered runs: the hourly run is started by the benchmark, the nightly and the monitor stay paused.
SCHEDULES = {"incremental": "0 0 1 1 *", "full": "0 2 * * *"}


@dataclass(frozen=True)
class StackOptions:
    """What the benchmark asks of the stack: the simulated company and its rate limit (rpm None = off)."""

    seed: int
    sizes: dict[str, Any]
    rpm: int | None
    share: float = 0.8


@dataclass
class RealtimeStack:
    """A running stack: where everything is, and the receiver that the faults phase stops and starts again."""

    ws: Workspace
    warehouse_url: str
    sim_url: str
    control: Any
    site: Any  # AirflowSite, or the Celery cluster's adapter (celery.py)
    company_id: str
    secret: str = field(repr=False)
    receiver_port: int = 0
    # The Celery topology's first receiver is the script's component: how to stop it (None: ours, in ws).
    stop_external_receiver: Any = None

    @property
    def receiver_url(self) -> str:
        return f"http://127.0.0.1:{self.receiver_port}"

    def wh(self, statement: str, params: Any = (), dicts: bool = False) -> list[Any]:
        return fetch(self.warehouse_url, statement, params, dicts=dicts, connect_timeout=5)

    def receiver_env(self) -> dict[str, str]:
        """The receiver's environment as scripts/airflow_env.sh gives it: its connections and port, nothing else."""
        webhook = {"conn_type": "generic", "password": self.secret, "extra": {"company_id": self.company_id}}
        home = self.ws.root / "receiver-home"
        home.mkdir(exist_ok=True)
        return {
            **base_env(),
            "AIRFLOW_HOME": str(home),
            "AIRFLOW_CONN_FRONT_WEBHOOK": json.dumps(webhook),
            "AIRFLOW_CONN_FRONT_WAREHOUSE": self.warehouse_url,
            "FRONT_SYNC_WEBHOOK_PORT": str(self.receiver_port),
            "PYTHONPATH": python_path(),
        }

    def start_receiver(self, timeout: float = 90) -> None:
        """`python -m front_sync.realtime` on the stack's port; returns once /healthz answers."""
        managed = self.ws.start("receiver", [python(), "-m", "front_sync.realtime"], self.receiver_env())

        def healthy() -> bool:
            if managed.popen.poll() is not None:
                raise SoakError(f"the receiver exited: {managed.log_path.read_text()[-2000:]}")
            with contextlib.suppress(requests.ConnectionError):
                return requests.get(f"{self.receiver_url}/healthz", timeout=5).status_code == 200
            return False

        wait_for("the webhook receiver to answer /healthz", healthy, timeout, interval=0.5)

    def stop_receiver(self) -> None:
        if "receiver" in self.ws.processes:
            self.ws.stop("receiver")
        elif self.stop_external_receiver is not None:
            self.stop_external_receiver()
            self.stop_external_receiver = None

    def register(self) -> dict[str, Any]:
        """Register the receiver's URL with the simulator (the challenge handshake goes through the receiver)."""
        return self.control.register_webhook(f"{self.receiver_url}/webhooks/front", self.secret)


def start_local(ws: Workspace, options: StackOptions, deadline: Deadline) -> RealtimeStack:
    """PostgreSQL x2, the simulator, Airflow with the triggerer, the migrated warehouse, the receiver registered."""
    from front_simulator.control import SimulatorControl

    meta_admin = start_postgres(ws, "meta")
    warehouse_url = start_postgres(ws, "warehouse")
    metadata_url = create_database(meta_admin, "airflow")
    sim_url = start_simulator(ws, options.seed, options.sizes, rpm=options.rpm, burst=5, deadline=deadline)
    control = SimulatorControl(sim_url, timeout=60)
    site = AirflowSite.configure(ws, metadata_url, warehouse_url, front_connection(sim_url, options), SCHEDULES, {})
    site.cli("db", "migrate", timeout=300)
    site.cli("pools", "import", str(ROOT / "pools.json"))
    site.start(ws, deadline, triggerer=True)
    stack = RealtimeStack(
        ws, warehouse_url, sim_url, control, site, control.config()["company_id"], secrets.token_urlsafe(32)
    )
    prepare(stack)
    return stack


def front_connection(sim_url: str, options: StackOptions) -> dict[str, Any]:
    """front_default on the simulator, with the company's plan limit as its rpm (a budget the hook keeps)."""
    extra: dict[str, Any] = {"allowed_hosts": ["localhost"], "share": options.share, "read_timeout": 10}
    extra.update({"rpm": options.rpm, "burst_per_second": 4} if options.rpm else {"rpm": 100000, "burst_per_second": 0})
    return {"conn_type": "front", "host": sim_url, "password": "test-token", "extra": extra}


def prepare(stack: RealtimeStack, start_receiver: bool = True) -> None:
    """The warehouse migrated (the receiver stores into it before any DAG ran), the receiver started and
    registered, every DAG known to the scheduler, and the sync settings of the benchmark."""
    import psycopg

    from front_sync.warehouse import migrations

    with psycopg.connect(stack.warehouse_url) as conn:
        migrations.migrate(conn)
    if start_receiver:
        stack.receiver_port = free_port()
        stack.start_receiver()
    else:  # already started (the Celery script's component): wait for it to answer
        wait_for("the webhook receiver", lambda: requests.get(f"{stack.receiver_url}/healthz", timeout=5).ok, 120)
    stack.register()
    dags = ("front_sync_backfill", "front_sync_incremental", REALTIME_DAG)
    wait_for(
        "the dag-processor to register the DAGs",
        lambda: len(stack.site.query("SELECT dag_id FROM dag WHERE dag_id = ANY(%s)", (list(dags),))) == len(dags),
        240,
        interval=2,
    )
    set_variable(stack.site, "front_sync.config", {"directory_refresh_minutes": 0})


def set_variable(site: Any, key: str, value: Any) -> None:
    """Create or replace an Airflow Variable through the REST API."""
    try:
        site.api("PATCH", f"/variables/{key}", {"key": key, "value": json.dumps(value)})
    except SoakError:
        site.api("POST", "/variables", {"key": key, "value": json.dumps(value)})


def run_state(site: Any, dag_id: str, run_id: str) -> str | None:
    rows = site.query("SELECT state FROM dag_run WHERE dag_id = %s AND run_id = %s", (dag_id, run_id))
    return rows[0][0] if rows else None


def run_to_end(site: Any, dag_id: str, timeout: float) -> str:
    """Trigger a run of `dag_id` and wait for it; SoakError when it did not succeed."""
    run_id = site.trigger(dag_id)
    started = time.monotonic()
    state = wait_for(
        f"{dag_id} run {run_id} to finish",
        lambda: (s := run_state(site, dag_id, run_id)) in FINISHED and s,
        timeout,
        interval=2,
    )
    log(f"{dag_id} {run_id}: {state} in {time.monotonic() - started:.0f} s")
    if state != "success":
        raise SoakError(f"{dag_id} run {run_id} ended {state}")
    return run_id


def wait_idle(site: Any, dag_id: str, timeout: float) -> None:
    """No run of `dag_id` queued or running."""
    wait_for(
        f"no {dag_id} run active",
        lambda: not site.query("SELECT 1 FROM dag_run WHERE dag_id = %s AND state IN ('queued', 'running')", (dag_id,)),
        timeout,
        interval=1,
    )


def initial_load(stack: RealtimeStack, timeout: float) -> None:
    """The account loaded under the scheduler (backfill, then the hourly run), then real time switched on: the
    realtime DAG unpaused and its watcher warmed up by one webhook applied."""
    site = stack.site
    for dag_id in ("front_sync_backfill", "front_sync_incremental"):
        site.unpause(dag_id)
    run_to_end(site, "front_sync_backfill", timeout)
    wait_idle(site, "front_sync_incremental", timeout)
    run_to_end(site, "front_sync_incremental", timeout)
    site.unpause(REALTIME_DAG)
    event_id = stack.control.mutate("tag", count=1)["events"][0]
    wait_for(
        "the warm-up webhook applied (the triggerer's watcher started)",
        lambda: stack.wh(
            "SELECT 1 FROM front.webhook_events WHERE event_id = %s AND applied_at IS NOT NULL", (event_id,)
        ),
        300,
        interval=1,
    )
    wait_idle(site, REALTIME_DAG, 120)
