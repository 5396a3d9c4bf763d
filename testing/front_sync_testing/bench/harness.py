"""What the DAG benchmarks share: a temporary Airflow home, a throwaway PostgreSQL (scripts/pg_start.sh), the
simulator in its own process (as Front would be: it must not share the tasks' GIL), the connections, and the JSON
report. Import it before anything imports airflow: it sets Airflow's environment at import."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from front_sync_testing import ROOT
from front_sync_testing.dags import parse_dags

from .machine import machine

RESULTS = ROOT / "bench" / "results"
# A benchmark's child processes (e.g. a run to be killed) share its Airflow home.
os.environ["AIRFLOW_HOME"] = os.environ.setdefault(
    "FRONT_SYNC_BENCH_AIRFLOW_HOME", tempfile.mkdtemp(prefix="front-sync-bench-airflow-")
)
os.environ["AIRFLOW__CORE__DAGS_FOLDER"] = str(ROOT / "dags")
os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
os.environ["AIRFLOW__LOGGING__LOGGING_LEVEL"] = "WARNING"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Stack:
    """A running benchmark stack: the warehouse URL, the simulator's base URL and control client, the DAGs."""

    warehouse_url: str
    base_url: str
    control: Any
    dags: dict[str, Any]


@contextlib.contextmanager
def stack(sizes: dict[str, int], *, seed: int = 1, front_extra: dict[str, Any] | None = None) -> Iterator[Stack]:
    """Start PostgreSQL and the simulator (`sizes`: its --<size> options), set the connections, load the DAGs."""
    from airflow.utils import db

    from front_simulator.control import SimulatorControl

    db.resetdb()
    datadir = tempfile.mkdtemp(prefix="front-sync-pg.")
    url = (
        subprocess.run([str(ROOT / "scripts" / "pg_start.sh"), datadir], capture_output=True, text=True, check=True)
        .stdout.strip()
        .splitlines()[-1]
    )
    port = free_port()
    options = [f"--{name.replace('_', '-')}={value}" for name, value in sizes.items()]
    sim = subprocess.Popen(
        [sys.executable, "-m", "front_simulator", "--port", str(port), "--seed", str(seed), *options],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT / "include")},
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        if "listening" not in (sim.stdout.readline() or ""):
            raise RuntimeError("the simulator did not start")
        os.environ["AIRFLOW_CONN_FRONT_WAREHOUSE"] = url
        os.environ["AIRFLOW_CONN_FRONT_DEFAULT"] = json.dumps(
            {
                "conn_type": "front",
                "host": base_url,
                "password": "test-token",
                "extra": {
                    "allowed_hosts": ["localhost"],
                    "rpm": 100000,
                    "share": 1.0,
                    "burst_per_second": 0,
                    **(front_extra or {}),
                },
            }
        )
        yield Stack(url, base_url, SimulatorControl(base_url, timeout=600), parse_dags().dags)
    finally:
        sim.terminate()
        sim.wait()
        subprocess.run([str(ROOT / "scripts" / "pg_stop.sh"), datadir], capture_output=True)


def run_rows(url: str, dag_id: str) -> list[dict]:
    """sync_logs rows of the latest run of a DAG."""
    import psycopg
    from psycopg.rows import dict_row

    with psycopg.connect(url) as conn, conn.cursor(row_factory=dict_row) as cur:
        cur.execute("SELECT run_id FROM front.sync_logs WHERE dag_id = %s ORDER BY id DESC LIMIT 1", (dag_id,))
        run_id = cur.fetchone()["run_id"]
        cur.execute(
            "SELECT resource, status, fetched, api_calls, metadata, "
            "extract(epoch FROM completed_at - started_at)::float AS seconds "
            "FROM front.sync_logs WHERE run_id = %s AND dag_id = %s",
            (run_id, dag_id),
        )
        return cur.fetchall()


def write_report(name: str, parameters: dict[str, Any], figures: dict[str, Any]) -> Path:
    """bench/results/<name>.json with the parameters, figures and machine."""
    report = {"name": name, "parameters": parameters, "figures": figures, "machine": machine()}
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(report, indent=2, default=str))
    return path
