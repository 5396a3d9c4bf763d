"""The project deployed as DAG bundles under a real Airflow (api-server, scheduler with LocalExecutor,
dag-processor; PostgreSQL metadata DB), configured by AIRFLOW__DAG_PROCESSOR__DAG_BUNDLE_CONFIG_LIST:

- a LocalDagBundle over this repository's dags/ folder: the front-sync DAGs parse in it, without error, unversioned;
- a GitDagBundle over a local bare repository holding a small probe DAG: a run started on commit v1 finishes on
  v1's files although v2 was pushed (and parsed) while it ran, and a run triggered after the push runs v2.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

pytestmark = pytest.mark.integration  # needs the session's PostgreSQL server

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
PROBE = "front_sync_bundle_probe"
FRONT_DAGS = {
    "front_sync_incremental",
    "front_sync_full",
    "front_sync_messages",
    "front_sync_backfill",
    "front_sync_monitor",
    "front_sync_replay",
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True).stdout.strip()


def commit_probe(work: Path, version: str) -> str:
    """Commit the probe DAG with VERSION = version, push it to the bare repository; returns the commit."""
    text = (Path(__file__).parent / "probe_dag.py.tmpl").read_text().replace("@VERSION@", version)
    (work / "dags").mkdir(exist_ok=True)
    (work / "dags" / "front_sync_bundle_probe.py").write_text(text)
    git(work, "add", "dags")
    git(work, "-c", "user.name=test", "-c", "user.email=test@example.org", "commit", "-qm", f"probe {version}")
    git(work, "push", "-q", "origin", "HEAD:main")
    return git(work, "rev-parse", "HEAD")


def bundle_config(bare: Path) -> str:
    """Two bundles: the repository's dags/ as it is on disk, and the probe's Git repository, versioned."""
    return json.dumps(
        [
            {
                "name": "front_sync",
                "classpath": "airflow.dag_processing.bundles.local.LocalDagBundle",
                "kwargs": {"path": str(ROOT / "dags"), "refresh_interval": 30},
            },
            {
                "name": "probe_git",
                "classpath": "airflow.providers.git.bundles.git.GitDagBundle",
                "kwargs": {
                    "repo_url": f"file://{bare}",
                    "tracking_ref": "main",
                    "subdir": "dags",
                    "refresh_interval": 2,
                },
            },
        ]
    )


class Airflow:
    """api-server, scheduler and dag-processor as separate processes, each in its own process group."""

    def __init__(self, home: Path, metadata_url: str, bare: Path):
        self.home = home
        port = free_port()
        self.api_url = f"http://127.0.0.1:{port}"
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "FRONT_SYNC_", "PYTEST"))}
        self.env.update(
            {
                "PATH": f"{BIN}:{os.environ.get('PATH', '/usr/bin:/bin')}",
                "AIRFLOW_HOME": str(home),
                "BUNDLE_PROBE_DIR": str(home / "probe"),
                "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": metadata_url.replace("postgresql://", "postgresql+psycopg2://"),
                "AIRFLOW__DAG_PROCESSOR__DAG_BUNDLE_CONFIG_LIST": bundle_config(bare),
                # Its own clones: the default (/tmp/airflow/dag_bundles) is shared by every Airflow on the machine,
                # and a clone left by another run would hold another history.
                "AIRFLOW__DAG_PROCESSOR__DAG_BUNDLE_STORAGE_PATH": str(home / "dag_bundles"),
                "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "2",
                "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
                "AIRFLOW__CORE__PARALLELISM": "4",
                "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
                "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
                "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "True",  # the front-sync DAGs must not start syncing
                "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{self.api_url}/execution/",
                "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "True",
                "AIRFLOW__API__HOST": "127.0.0.1",
                "AIRFLOW__API__PORT": str(port),
                "AIRFLOW__API__WORKERS": "1",
                "AIRFLOW__API__BASE_URL": self.api_url,
                "AIRFLOW__API__SECRET_KEY": secrets.token_hex(16),
                "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_hex(32),
                "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(free_port()),
                "AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT": str(free_port()),
                "AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK": "False",
            }
        )
        self.processes: dict[str, subprocess.Popen] = {}

    def start(self) -> None:
        (self.home / "probe").mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [str(BIN / "airflow"), "db", "migrate"], env=self.env, check=True, capture_output=True, timeout=240
        )
        for name in ("api-server", "scheduler", "dag-processor"):
            log = (self.home / f"{name}.log").open("wb")
            self.processes[name] = subprocess.Popen(
                [str(BIN / "airflow"), name], env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )

    def stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()

    def logs(self) -> str:
        return "\n".join(f"--- {p.name}\n{p.read_text(errors='replace')[-3000:]}" for p in self.home.glob("*.log"))

    def api(self, method: str, path: str, payload=None):
        response = requests.request(method, f"{self.api_url}/api/v2{path}", json=payload, timeout=30)
        response.raise_for_status()
        return response.json() if response.content else None

    def wait(self, what: str, probe, timeout: float):
        """Poll `probe` until it returns something truthy; fail with the processes' logs after `timeout`."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for name, process in self.processes.items():
                if process.poll() is not None:
                    pytest.fail(f"airflow {name} exited while waiting for {what}:\n{self.logs()}")
            try:
                value = probe()
            except requests.RequestException:
                value = None
            if value:
                return value
            time.sleep(1)
        pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}:\n{self.logs()}")

    def run(self, run_id: str) -> dict:
        return self.api("GET", f"/dags/{PROBE}/dagRuns/{run_id}")

    def task_state(self, run_id: str, task_id: str) -> str | None:
        return self.api("GET", f"/dags/{PROBE}/dagRuns/{run_id}/taskInstances/{task_id}")["state"]


@pytest.fixture
def airflow(new_database, tmp_path):
    """A private Airflow on a new metadata database, the probe's bare repository and a work clone of it."""
    metadata_url = new_database("bundles")
    bare, work = tmp_path / "probe.git", tmp_path / "work"
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(bare)], check=True)
    subprocess.run(["git", "clone", "-q", str(bare), str(work)], check=True, capture_output=True)
    site = Airflow(tmp_path / "airflow", metadata_url, bare)
    site.work = work
    yield site
    site.stop()


@pytest.mark.timeout(300)
def test_local_bundle_parses_the_project_and_a_git_run_keeps_its_bundle_version(airflow):
    v1 = commit_probe(airflow.work, "v1")
    airflow.start()
    airflow.wait(
        "the api-server",
        lambda: (
            requests.get(f"{airflow.api_url}/api/v2/monitor/health", timeout=5).json()["dag_processor"]["status"]
            == "healthy"
        ),
        150,
    )

    # The LocalDagBundle: every front-sync DAG parsed from dags/, no import error, no version (a folder on disk).
    def front_dags():
        dags = {d["dag_id"]: d for d in airflow.api("GET", "/dags?limit=100")["dags"]}
        return dags if FRONT_DAGS | {PROBE} <= dags.keys() else None

    dags = airflow.wait("the DAGs of both bundles", front_dags, 120)
    assert airflow.api("GET", "/importErrors")["total_entries"] == 0
    assert {dags[d]["bundle_name"] for d in FRONT_DAGS} == {"front_sync"}
    assert {dags[d]["bundle_version"] for d in FRONT_DAGS} == {None}
    assert (dags[PROBE]["bundle_name"], dags[PROBE]["bundle_version"]) == ("probe_git", v1)

    # The GitDagBundle: a run on v1 is in flight (its first task holds) when v2 is pushed and parsed.
    airflow.api("PATCH", f"/dags/{PROBE}", {"is_paused": False})
    first = airflow.api(
        "POST", f"/dags/{PROBE}/dagRuns", {"logical_date": None, "dag_run_id": "on_v1", "conf": {"hold": True}}
    )
    assert first["bundle_version"] == v1
    airflow.wait("the v1 run's hold task to run", lambda: airflow.task_state("on_v1", "hold") == "running", 120)
    v2 = commit_probe(airflow.work, "v2")
    airflow.wait(
        "the dag-processor to parse v2", lambda: airflow.api("GET", f"/dags/{PROBE}")["bundle_version"] == v2, 90
    )
    second = airflow.api("POST", f"/dags/{PROBE}/dagRuns", {"logical_date": None, "dag_run_id": "on_v2", "conf": {}})
    (airflow.home / "probe" / "release").touch()
    for run_id in ("on_v1", "on_v2"):
        airflow.wait(f"run {run_id} to finish", lambda r=run_id: airflow.run(r)["state"] in ("success", "failed"), 120)
    assert (airflow.run("on_v1")["state"], airflow.run("on_v2")["state"]) == ("success", "success")
    assert (airflow.run("on_v1")["bundle_version"], second["bundle_version"]) == (v1, v2)
    # The v1 run's report task started after v2 was deployed, and still ran v1's file.
    assert (airflow.home / "probe" / "on_v1.txt").read_text() == "v1 front_api"
    assert (airflow.home / "probe" / "on_v2.txt").read_text() == "v2 front_api"
