"""Soak-test Airflow: one private installation per run (home, metadata database, API server), its task policy
(retry delays compressed like the schedules) and the Python that runs its components."""

from __future__ import annotations

import json
import secrets
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

from front_sync_testing import ROOT
from front_sync_testing.db import fetch

from .infra import VENV_BIN, Deadline, SoakError, Workspace, base_env, free_port, python_path, wait_for


@dataclass
class AirflowSite:
    """One private Airflow installation: home, metadata DB, API server URL, and the environment of every process."""

    home: Path
    env: dict[str, str]
    api_url: str
    metadata_url: str  # libpq URL of the metadata DB, for read-only bookkeeping queries

    @classmethod
    def configure(
        cls,
        ws: Workspace,
        metadata_url: str,
        warehouse_url: str,
        front_conn: dict[str, Any],
        schedules: dict[str, str],
        extra_env: dict[str, str],
    ) -> AirflowSite:
        home = ws.root / "airflow"
        (home / "config").mkdir(parents=True, exist_ok=True)
        # Cluster policy (airflow_local_settings.py in $AIRFLOW_HOME/config): compressed retry delays, since the
        # DAGs set retry_delay in default_args (the [core] default_task_retry_delay setting does not apply).
        (home / "config" / "airflow_local_settings.py").write_text(POLICY_SOURCE)
        api_port = free_port()
        api_url = f"http://127.0.0.1:{api_port}"
        sqlalchemy_url = metadata_url.replace("postgresql://", "postgresql+psycopg2://", 1)
        env = base_env()
        env.update(
            {
                "AIRFLOW_HOME": str(home),
                "AIRFLOW__CORE__DAGS_FOLDER": str(ROOT / "dags"),
                "AIRFLOW__CORE__PLUGINS_FOLDER": str(ROOT / "plugins"),
                "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
                "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
                "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
                "AIRFLOW__CORE__PARALLELISM": "4",
                "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "True",
                "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{api_url}/execution/",
                "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "True",
                "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": sqlalchemy_url,
                "AIRFLOW__DATABASE__SQL_ALCHEMY_POOL_PRE_PING": "True",
                "AIRFLOW__API__HOST": "127.0.0.1",
                "AIRFLOW__API__PORT": str(api_port),
                "AIRFLOW__API__BASE_URL": api_url,
                "AIRFLOW__API__WORKERS": "1",
                "AIRFLOW__API__SECRET_KEY": secrets.token_hex(16),
                "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_hex(32),
                "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(free_port()),
                "AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT": str(free_port()),
                "AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK": "False",
                "AIRFLOW__DAG_PROCESSOR__MIN_FILE_PROCESS_INTERVAL": "60",
                "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "60",
                "AIRFLOW_CONN_FRONT_WAREHOUSE": warehouse_url,
                "AIRFLOW_CONN_FRONT_DEFAULT": json.dumps(front_conn),
                "FRONT_SYNC_INCREMENTAL_SCHEDULE": schedules["incremental"],
                "FRONT_SYNC_FULL_SCHEDULE": schedules["full"],
                "PYTHONPATH": python_path(),
            }
        )
        env.update(extra_env)
        return cls(home, env, api_url, metadata_url)

    def cli(self, *args: str, timeout: float = 180, check: bool = True) -> subprocess.CompletedProcess:
        """Run an `airflow ...` command (about 3-5 s of start-up each on the 2-core machine)."""
        result = subprocess.run(
            [str(VENV_BIN / "airflow"), *args],
            env=self.env,
            cwd=str(ROOT),
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if check and result.returncode != 0:
            raise SoakError(
                f"airflow {' '.join(args)} failed ({result.returncode}):\n"
                f"{result.stdout[-1500:]}\n{result.stderr[-3000:]}"
            )
        return result

    def start(self, ws: Workspace, deadline: Deadline, triggerer: bool = False) -> None:
        """api-server, scheduler and dag-processor as separate processes, and the triggerer when asked: the soak
        stores no webhooks, so it needs none; front_sync_realtime's AssetWatcher runs in the triggerer."""
        airflow = str(VENV_BIN / "airflow")
        components = ["api-server", "scheduler", "dag-processor", *(["triggerer"] if triggerer else [])]
        for name in components:
            ws.start(name, [airflow, name, *(["--workers", "1"] if name == "api-server" else [])], self.env)
        checked = ("metadatabase", "scheduler", "dag_processor", *(["triggerer"] if triggerer else []))

        def healthy() -> bool:
            for name in components:
                if not ws.alive(name):
                    text = ws.processes[name].log_path.read_text()[-3000:]
                    raise SoakError(f"airflow {name} exited during start-up:\n{text}")
            body = requests.get(f"{self.api_url}/api/v2/monitor/health", timeout=5).json()
            return all(body.get(k, {}).get("status") == "healthy" for k in checked)

        wait_for(f"Airflow's {', '.join(components)} to be healthy", healthy, 180, deadline, 2)

    # -- REST API (simple auth manager with all admins: no token needed) --

    def api(self, method: str, path: str, payload: Any = None, timeout: float = 30) -> Any:
        response = requests.request(method, f"{self.api_url}/api/v2{path}", json=payload, timeout=timeout)
        if response.status_code >= 400:
            raise SoakError(f"{method} {path}: {response.status_code} {response.text[:500]}")
        return response.json() if response.content else None

    def unpause(self, dag_id: str) -> None:
        self.api("PATCH", f"/dags/{dag_id}", {"is_paused": False})

    def pause(self, dag_id: str) -> None:
        self.api("PATCH", f"/dags/{dag_id}", {"is_paused": True})

    def trigger(self, dag_id: str, conf: dict[str, Any] | None = None, run_id: str | None = None) -> str:
        payload: dict[str, Any] = {"logical_date": None, "conf": conf or {}}
        if run_id:
            payload["dag_run_id"] = run_id
        return self.api("POST", f"/dags/{dag_id}/dagRuns", payload)["dag_run_id"]

    # -- metadata DB, read only --

    def query(self, statement: str, params: Any = ()) -> list[tuple]:
        return fetch(self.metadata_url, statement, params)


POLICY_SOURCE = '''"""Soak-test cluster policy: retry delays compressed like the schedules (retry counts unchanged)."""
from datetime import timedelta
import os


def task_policy(task):
    task.retry_delay = timedelta(seconds=float(os.environ.get("SOAK_RETRY_DELAY_SECONDS", "5")))
    task.max_retry_delay = timedelta(seconds=float(os.environ.get("SOAK_MAX_RETRY_DELAY_SECONDS", "30")))
'''
