"""Soak-test infrastructure: throwaway PostgreSQL servers, the Front simulator and Airflow's real components.

Every process is started in its own process group and recorded in a state file in the run's temp folder, so the
harness (or the next run, after a crash) stops exactly those processes and nothing else.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from front_sync_testing import ROOT
from front_sync_testing.db import fetch

VENV_BIN = ROOT / ".venv" / "bin"
TEMP_PREFIX = "front-sync-soak."
STATE_FILE = "soak-state.json"


class SoakError(RuntimeError):
    """The harness itself could not do something (a wait timed out, a process died): not a product mismatch."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def log(message: str) -> None:
    stamp = time.strftime("%H:%M:%S")
    print(f"[soak {stamp}] {message}", flush=True)


class Deadline:
    """The overall time budget; every wait is bounded by it as well as by its own timeout."""

    def __init__(self, seconds: float):
        self.started = time.monotonic()
        self.ends = self.started + seconds

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def left(self) -> float:
        return self.ends - time.monotonic()

    def at_least(self, seconds: float) -> None:
        """Make sure `seconds` are left from now (a phase that waits on conditions gets its own bound, so a slow
        set-up on a loaded machine does not eat it)."""
        self.ends = max(self.ends, time.monotonic() + seconds)

    def check(self, what: str) -> None:
        if self.left() <= 0:
            raise SoakError(f"overall deadline reached while {what}")


def wait_for(what: str, probe: Callable[[], Any], timeout: float, deadline: Deadline | None = None,
             interval: float = 1.0) -> Any:
    """Call probe until it returns something truthy; SoakError naming `what` after `timeout` seconds."""
    ends = time.monotonic() + timeout
    last_error: Exception | None = None
    while True:
        try:
            value = probe()
            if value:
                return value
        except Exception as exc:  # noqa: BLE001 - the probe's failure is reported if it never succeeds
            last_error = exc
        if time.monotonic() >= ends:
            detail = f" (last error: {type(last_error).__name__}: {last_error})" if last_error else ""
            raise SoakError(f"timed out after {timeout:.0f} s waiting for {what}{detail}")
        if deadline is not None:
            deadline.check(f"waiting for {what}")
        time.sleep(interval)


@dataclass
class Managed:
    name: str
    popen: subprocess.Popen
    log_path: Path


@dataclass
class Workspace:
    """The run's temp folder, its processes and PostgreSQL data folders; cleaned up by close()."""

    root: Path
    processes: dict[str, Managed] = field(default_factory=dict)
    pg_dirs: list[Path] = field(default_factory=list)

    @classmethod
    def create(cls) -> Workspace:
        reap_stale_workspaces()
        root = Path(tempfile.mkdtemp(prefix=TEMP_PREFIX))
        os.chmod(root, 0o755)  # the postgres user must reach the data folders inside
        ws = cls(root)
        ws.save_state()
        return ws

    @property
    def logs(self) -> Path:
        path = self.root / "logs"
        path.mkdir(exist_ok=True)
        return path

    def save_state(self) -> None:
        state = {"harness_pid": os.getpid(),
                 "processes": {n: {"pid": m.popen.pid, "cmd": m.popen.args[:3] if isinstance(m.popen.args, list)
                                   else str(m.popen.args)} for n, m in self.processes.items()},
                 "pg_dirs": [str(p) for p in self.pg_dirs]}
        (self.root / STATE_FILE).write_text(json.dumps(state, default=str))

    def start(self, name: str, argv: list[str], env: dict[str, str], cwd: Path = ROOT) -> Managed:
        """Start a long-lived process in its own process group; its output goes to logs/<name>.log."""
        log_path = self.logs / f"{name}.log"
        handle = open(log_path, "ab")  # noqa: SIM115 - kept open for the child's lifetime
        popen = subprocess.Popen(argv, env=env, cwd=str(cwd), stdout=handle, stderr=subprocess.STDOUT,
                                 stdin=subprocess.DEVNULL, start_new_session=True,
                                 preexec_fn=_die_with_parent)
        handle.close()
        managed = Managed(name, popen, log_path)
        self.processes[name] = managed
        self.save_state()
        return managed

    def stop(self, name: str, timeout: float = 20.0) -> None:
        managed = self.processes.pop(name, None)
        if managed is not None:
            _stop_group(managed.popen.pid, timeout)
            with contextlib.suppress(subprocess.TimeoutExpired):
                managed.popen.wait(timeout=1)
            self.save_state()

    def alive(self, name: str) -> bool:
        managed = self.processes.get(name)
        return managed is not None and managed.popen.poll() is None

    def close(self, keep: Path | None = None) -> None:
        """Stop every process (newest first), stop PostgreSQL, copy logs to `keep` if asked, delete the folder."""
        for name in reversed(list(self.processes)):
            try:
                self.stop(name)
            except Exception as exc:  # noqa: BLE001 - keep cleaning up
                log(f"could not stop {name}: {exc}")
        for pg_dir in self.pg_dirs:
            stop_postgres(pg_dir)
        if keep is not None:
            try:
                keep.mkdir(parents=True, exist_ok=True)
                shutil.copytree(self.logs, keep / "logs", dirs_exist_ok=True)
                airflow_logs = self.root / "airflow" / "logs"
                if airflow_logs.exists():
                    shutil.copytree(airflow_logs, keep / "airflow-logs", dirs_exist_ok=True)
            except Exception as exc:  # noqa: BLE001
                log(f"could not keep logs in {keep}: {exc}")
        shutil.rmtree(self.root, ignore_errors=True)


def _die_with_parent() -> None:
    """In the child before exec: SIGTERM when the harness dies, so a killed harness leaves no servers behind."""
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass


def _stop_group(pgid: int, timeout: float) -> None:
    """SIGTERM a process group, then SIGKILL what is left after `timeout` seconds."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGTERM)
    ends = time.monotonic() + timeout
    while time.monotonic() < ends:
        if not _group_alive(pgid):
            return
        time.sleep(0.2)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # Zombies of our own children count as gone.
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[-1].split()
        if len(fields) > 2 and fields[2] == str(pgid) and fields[0] != "Z":
            return True
    return False


def reap_stale_workspaces() -> None:
    """Clean up after an earlier harness that was killed: its processes (by recorded id) and its folder."""
    for folder in Path(tempfile.gettempdir()).glob(f"{TEMP_PREFIX}*"):
        state_path = folder / STATE_FILE
        try:
            state = json.loads(state_path.read_text())
        except (OSError, ValueError):
            continue
        pid = int(state.get("harness_pid", 0))
        if pid and Path(f"/proc/{pid}").exists():
            continue  # another soak run is alive; leave it alone
        log(f"cleaning up after an earlier soak run that did not finish: {folder}")
        for info in state.get("processes", {}).values():
            child = int(info.get("pid", 0))
            if child and Path(f"/proc/{child}").exists():
                _stop_group(child, 10)
        for pg_dir in state.get("pg_dirs", []):
            stop_postgres(Path(pg_dir))
        shutil.rmtree(folder, ignore_errors=True)


# -- PostgreSQL ------------------------------------------------------------------------------------------------


def _as_postgres() -> list[str]:
    return ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []


def _pg_bin(pg_dir: Path) -> Path:
    return Path((pg_dir / "front_sync_pgbin").read_text().strip())


def start_postgres(ws: Workspace, name: str) -> str:
    """A throwaway server (scripts/pg_start.sh) whose data folder lives in the workspace; returns its URL."""
    pg_dir = ws.root / f"front-sync-pg-{name}"
    ws.pg_dirs.append(pg_dir)
    ws.save_state()
    result = subprocess.run([str(ROOT / "scripts" / "pg_start.sh"), str(pg_dir)], capture_output=True, text=True,
                            timeout=120)
    if result.returncode != 0:
        raise SoakError(f"PostgreSQL {name} did not start: {result.stderr.strip()}")
    return result.stdout.strip().splitlines()[-1]


def restart_postgres(pg_dir: Path) -> float:
    """pg_ctl restart -m fast (every connection is cut); returns the seconds it took."""
    started = time.monotonic()
    result = subprocess.run([*_as_postgres(), str(_pg_bin(pg_dir) / "pg_ctl"), "-D", str(pg_dir), "-m", "fast",
                             "-w", "-t", "60", "-l", str(pg_dir / "server.log"), "restart"],
                            capture_output=True, text=True, timeout=90)
    if result.returncode != 0:
        raise SoakError(f"pg_ctl restart failed: {result.stderr.strip() or result.stdout.strip()}")
    return time.monotonic() - started


def stop_postgres(pg_dir: Path) -> None:
    if pg_dir.exists():
        subprocess.run([str(ROOT / "scripts" / "pg_stop.sh"), str(pg_dir)], capture_output=True, text=True,
                       timeout=120)


# -- the Front simulator ---------------------------------------------------------------------------------------


def start_simulator(ws: Workspace, seed: int, sizes: dict[str, Any], rpm: int | None, burst: float,
                    deadline: Deadline) -> str:
    """`python -m front_simulator` on a free loopback port; returns its base URL."""
    port = free_port()
    argv = [str(VENV_BIN / "python"), "-m", "front_simulator", "--host", "127.0.0.1", "--port", str(port),
            "--seed", str(seed), "--burst", str(burst)]
    if rpm:
        argv += ["--rpm", str(rpm)]
    for key, value in sizes.items():
        argv += [f"--{key.replace('_', '-')}", str(value)]
    env = {**base_env(), "PYTHONPATH": python_path()}
    managed = ws.start("simulator", argv, env)
    url = f"http://127.0.0.1:{port}"

    def ready() -> bool:
        if managed.popen.poll() is not None:
            raise SoakError(f"the simulator exited: {managed.log_path.read_text()[-2000:]}")
        return "listening on" in managed.log_path.read_text()

    wait_for("the simulator to listen", ready, 60, deadline, interval=0.2)
    return url


def python_path() -> str:
    """front_sync (include/) and the simulator (include/ or, as its own distribution, simulator/)."""
    return os.pathsep.join(str(p) for p in (ROOT / "include", ROOT / "simulator") if p.is_dir())


def base_env() -> dict[str, str]:
    """The harness's environment without Airflow or front-sync settings inherited from the caller (e.g. pytest)."""
    drop = ("AIRFLOW", "FRONT_SYNC_", "FRONT_API_TOKEN", "PYTEST", "_AIRFLOW")
    env = {k: v for k, v in os.environ.items() if not k.startswith(drop)}
    env["PATH"] = f"{VENV_BIN}:{env.get('PATH', '/usr/bin:/bin')}"
    env["PYTHONUNBUFFERED"] = "1"
    return env


# -- Airflow ---------------------------------------------------------------------------------------------------


@dataclass
class AirflowSite:
    """One private Airflow installation: home, metadata DB, API server URL, and the environment of every process."""

    home: Path
    env: dict[str, str]
    api_url: str
    metadata_url: str  # libpq URL of the metadata DB, for read-only bookkeeping queries

    @classmethod
    def configure(cls, ws: Workspace, metadata_url: str, warehouse_url: str, front_conn: dict[str, Any],
                  schedules: dict[str, str], extra_env: dict[str, str]) -> AirflowSite:
        home = ws.root / "airflow"
        (home / "config").mkdir(parents=True, exist_ok=True)
        # Cluster policy (airflow_local_settings.py in $AIRFLOW_HOME/config): compressed retry delays, since the
        # DAGs set retry_delay in default_args (the [core] default_task_retry_delay setting does not apply).
        (home / "config" / "airflow_local_settings.py").write_text(POLICY_SOURCE)
        api_port = free_port()
        api_url = f"http://127.0.0.1:{api_port}"
        sqlalchemy_url = metadata_url.replace("postgresql://", "postgresql+psycopg2://", 1)
        env = base_env()
        env.update({
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
        })
        env.update(extra_env)
        return cls(home, env, api_url, metadata_url)

    def cli(self, *args: str, timeout: float = 180, check: bool = True) -> subprocess.CompletedProcess:
        """Run an `airflow ...` command (about 3-5 s of start-up each on the 2-core machine)."""
        result = subprocess.run([str(VENV_BIN / "airflow"), *args], env=self.env, cwd=str(ROOT), capture_output=True,
                                text=True, timeout=timeout)
        if check and result.returncode != 0:
            raise SoakError(f"airflow {' '.join(args)} failed ({result.returncode}):\n"
                            f"{result.stdout[-1500:]}\n{result.stderr[-3000:]}")
        return result

    def start(self, ws: Workspace, deadline: Deadline) -> None:
        """api-server, scheduler and dag-processor as separate processes (no triggerer: nothing defers, and the soak
        stores no webhooks, so front_sync_realtime's watcher has nothing to wake)."""
        airflow = str(VENV_BIN / "airflow")
        ws.start("api-server", [airflow, "api-server", "--workers", "1"], self.env)
        ws.start("scheduler", [airflow, "scheduler"], self.env)
        ws.start("dag-processor", [airflow, "dag-processor"], self.env)

        def healthy() -> bool:
            for name in ("api-server", "scheduler", "dag-processor"):
                if not ws.alive(name):
                    text = ws.processes[name].log_path.read_text()[-3000:]
                    raise SoakError(f"airflow {name} exited during start-up:\n{text}")
            body = requests.get(f"{self.api_url}/api/v2/monitor/health", timeout=5).json()
            return all(body.get(k, {}).get("status") == "healthy" for k in ("metadatabase", "scheduler",
                                                                               "dag_processor"))

        wait_for("Airflow's api-server, scheduler and dag-processor to be healthy", healthy, 180, deadline, 2)

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


def python() -> str:
    return str(VENV_BIN / "python") if (VENV_BIN / "python").exists() else sys.executable
