"""The real-time benchmark on the Celery topology: scripts/airflow_celery.sh (Redis, CeleryExecutor scheduler,
dag-processor, triggerer, api-server, two workers, the webhook receiver) through the Celery cluster harness, with
the benchmark's own simulator (its plan limit and company) as the Front connection."""

from __future__ import annotations

import json
import os
import secrets
import signal
from typing import Any

from front_sync_testing.celery_cluster.cluster import Cluster, ClusterError, cluster_env
from front_sync_testing.soak.infra import Deadline, SoakError, Workspace, free_port, start_simulator, wait_for

from .stack import RealtimeStack, StackOptions, front_connection, prepare


class ClusterSite:
    """The cluster as the phases use a site: its metadata DB, its REST API (errors as SoakError), trigger, pause."""

    def __init__(self, cluster: Cluster):
        self.cluster = cluster

    def query(self, statement: str, params: Any = ()) -> list[tuple]:
        return self.cluster.query(statement, params)

    def api(self, method: str, path: str, payload: Any = None) -> Any:
        try:
            return self.cluster.api(method, path, payload)
        except ClusterError as exc:
            raise SoakError(str(exc)) from exc

    def unpause(self, dag_id: str) -> None:
        self.api("PATCH", f"/dags/{dag_id}", {"is_paused": False})

    def trigger(self, dag_id: str, conf: dict[str, Any] | None = None) -> str:
        return self.api("POST", f"/dags/{dag_id}/dagRuns", {"logical_date": None, "conf": conf or {}})["dag_run_id"]


def start_celery(ws: Workspace, options: StackOptions, deadline: Deadline) -> RealtimeStack:
    """The simulator, then airflow_celery.sh with its connection and a webhook connection (so the script starts no
    simulator of its own and registers nothing: the benchmark registers, as in the local topology)."""
    from front_simulator.control import SimulatorControl

    sim_url = start_simulator(ws, options.seed, options.sizes, rpm=options.rpm, burst=5, deadline=deadline)
    control = SimulatorControl(sim_url, timeout=60)
    company_id, secret, port = control.config()["company_id"], secrets.token_urlsafe(32), free_port()
    webhook = {"conn_type": "generic", "password": secret, "extra": {"company_id": company_id}}
    env = cluster_env(
        ws.root / "celery",
        AIRFLOW_CONN_FRONT_DEFAULT=json.dumps(front_connection(sim_url, options)),
        AIRFLOW_CONN_FRONT_WEBHOOK=json.dumps(webhook),
        FRONT_SYNC_WEBHOOK_PORT=str(port),
    )
    cluster = Cluster(ws.root / "celery", env)
    ws.on_close.append(lambda: cluster.stop())
    cluster.start(timeout=max(deadline.left(), 300))
    stack = RealtimeStack(
        ws, cluster.settings["WAREHOUSE_URL"], sim_url, control, ClusterSite(cluster), company_id, secret
    )
    stack.receiver_port = port
    stack.stop_external_receiver = lambda: _stop_component(cluster, "webhooks")
    prepare(stack, start_receiver=False)
    return stack


def _stop_component(cluster: Cluster, name: str) -> None:
    """SIGTERM one of the script's components (its own process group) and wait until it is gone."""
    pid = cluster.component_pid(name)
    if pid is None:
        raise SoakError(f"the cluster has no {name} component")
    try:
        os.killpg(pid, signal.SIGTERM)
    except ProcessLookupError:
        return

    def gone() -> bool:
        try:
            os.killpg(pid, 0)
        except ProcessLookupError:
            return True
        return False

    wait_for(f"the cluster's {name} to stop", gone, 30, interval=0.5)
