"""The cluster under test: scripts/airflow_celery.sh's processes, its REST API and metadata DB, killing and
replacing a worker, and a clean shutdown."""

from __future__ import annotations

import os
import shlex
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from front_sync_testing import ROOT
from front_sync_testing.db import fetch

from .plan import (
    SCRIPT,
)


def cluster_env(folder: Path, **settings: str) -> dict[str, str]:
    """The environment of a test cluster in `folder`: the soak's base environment, compressed retry delays (a
    cluster policy: the DAGs set retry_delay in default_args), a dead worker noticed after 20 s without a heartbeat
    (default 300 s), schedules that never come due (every run is triggered), plus `settings`."""
    from front_sync_testing.soak import infra
    from front_sync_testing.soak.airflow_site import POLICY_SOURCE

    config = folder / "airflow" / "config"
    config.mkdir(parents=True)
    (config / "airflow_local_settings.py").write_text(POLICY_SOURCE)
    return {
        **infra.base_env(),
        "FRONT_SYNC_CELERY_DIR": str(folder),
        "AIRFLOW_PORT": str(infra.free_port()),
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "True",
        "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT": "20",
        "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT_DETECTION_INTERVAL": "5",
        "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "60",
        "FRONT_SYNC_INCREMENTAL_SCHEDULE": "0 0 1 1 *",
        "FRONT_SYNC_FULL_SCHEDULE": "0 0 1 1 *",
        **settings,
    }


def log(message: str) -> None:
    print(f"[celery {time.strftime('%H:%M:%S')}] {message}", flush=True)


class ClusterError(RuntimeError):
    """The cluster or the harness could not do something (start-up, a wait timed out): not a product mismatch."""


@dataclass
class Cluster:
    """scripts/airflow_celery.sh running in `folder`, and the workers the harness added."""

    folder: Path
    env: dict[str, str]
    proc: subprocess.Popen | None = None
    settings: dict[str, str] = field(default_factory=dict)
    extra_workers: dict[str, subprocess.Popen] = field(default_factory=dict)

    def start(self, timeout: float) -> None:
        log_file = open(self.folder / "script.log", "ab")  # noqa: SIM115 - the script's lifetime
        self.proc = subprocess.Popen(
            [str(SCRIPT)],
            env=self.env,
            cwd=str(ROOT),
            stdout=log_file,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        log_file.close()
        ends = time.monotonic() + timeout
        while not (self.folder / "ready").exists():
            if self.proc.poll() is not None or time.monotonic() > ends:
                raise ClusterError(f"airflow_celery.sh did not get ready:\n{self.script_log()[-3000:]}")
            time.sleep(1)
        for line in (self.folder / "cluster.env").read_text().splitlines():
            key, _, value = line.removeprefix("export ").partition("=")
            self.settings[key] = shlex.split(value)[0] if value else ""

    def script_log(self) -> str:
        path = self.folder / "script.log"
        return path.read_text(errors="replace") if path.exists() else ""

    @property
    def api_url(self) -> str:
        return self.settings["API_URL"]

    def api(self, method: str, path: str, payload: Any = None) -> Any:
        response = requests.request(method, f"{self.api_url}/api/v2{path}", json=payload, timeout=30)
        if response.status_code >= 400:
            raise ClusterError(f"{method} {path}: {response.status_code} {response.text[:500]}")
        return response.json() if response.content else None

    def query(self, statement: str, params: Any = (), url: str | None = None) -> list[tuple]:
        return fetch(url or self.settings["METADATA_URL"], statement, params, connect_timeout=5)

    def component_pid(self, name: str) -> int | None:
        path = self.folder / "pids" / name
        return int(path.read_text()) if path.exists() else None

    def kill_worker(self, name: str) -> int:
        """SIGKILL a worker's whole process tree at once, as if its machine died; returns how many processes.

        Airflow's task processes lead process groups of their own, so killing the worker's group alone would
        leave them running: every descendant is stopped first (no new fork escapes), then all are killed.
        """
        pid = self.component_pid(name)
        if pid is None:
            raise ClusterError(f"no pid for {name}")
        tree: set[int] = set()
        for _ in range(3):  # stop, re-list: a process forked between two listings is stopped on the next pass
            for member in descendants(pid) | {pid}:
                if member not in tree:
                    with _suppress_gone():
                        os.kill(member, signal.SIGSTOP)
                    tree.add(member)
        for member in tree:
            with _suppress_gone():
                os.kill(member, signal.SIGKILL)
        return len(tree)

    def start_worker(self, name: str, wait: bool = True) -> None:
        """`airflow_celery.sh worker NAME`: a replacement worker joins the running cluster."""
        log_path = self.folder / "logs" / f"{name}-replacement.log"
        handle = open(log_path, "ab")  # noqa: SIM115 - the worker's lifetime
        env = {**self.env, "FRONT_SYNC_CELERY_DIR": str(self.folder)}
        proc = subprocess.Popen(
            [str(SCRIPT), "worker", name],
            env=env,
            cwd=str(ROOT),
            stdout=handle,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        handle.close()
        self.extra_workers[name] = proc
        if wait:
            self.wait_worker(name)

    def wait_worker(self, name: str, timeout: float = 120) -> None:
        """Until the replacement worker `name` reports ready (Celery's "ready." line)."""
        proc = self.extra_workers[name]
        log_path = self.folder / "logs" / f"{name}-replacement.log"
        ends = time.monotonic() + timeout
        while " ready." not in log_path.read_text(errors="replace"):
            if proc.poll() is not None or time.monotonic() > ends:
                raise ClusterError(f"replacement {name} did not get ready:\n{log_path.read_text()[-2000:]}")
            time.sleep(1)

    def stop(self, timeout: float = 150) -> dict[str, Any]:
        """SIGTERM the script (its clean shutdown); report how long it took and any process or port left over."""
        if self.proc is None:
            return {}
        tracked = {int(p.read_text()) for p in (self.folder / "pids").glob("*") if p.read_text().strip()}
        tracked |= {d for pid in list(tracked) for d in descendants(pid)}
        started = time.monotonic()
        with _suppress_gone():
            os.kill(self.proc.pid, signal.SIGTERM)
        ends = time.monotonic() + timeout
        while self.proc.poll() is None:
            # Reap the replacement workers (this process is their parent): an exited worker left as a zombie
            # would keep its process group alive, and the script would wait out its grace period for it.
            for worker in self.extra_workers.values():
                worker.poll()
            if time.monotonic() > ends:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
                break
            time.sleep(0.2)
        seconds = round(time.monotonic() - started, 1)
        time.sleep(0.5)
        left = sorted(p for p in tracked if _alive(p))
        for pid in left:  # leave nothing behind, but report it
            with _suppress_gone():
                os.kill(pid, signal.SIGKILL)
        ports = {k: self.settings.get(k, "") for k in ("REDIS_URL", "METADATA_URL")}
        open_ports = [k for k, url in ports.items() if url and _port_open(url)]
        return {
            "shutdown_seconds": seconds,
            "exit_code": self.proc.returncode,
            "processes_left": left,
            "servers_still_listening": open_ports,
            "pg_data_removed": not (self.folder / "front-sync-pg").exists(),
        }


class _suppress_gone:
    def __enter__(self):
        return self

    def __exit__(self, kind, value, tb):
        return kind is not None and issubclass(kind, (ProcessLookupError, PermissionError))


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[-1].split()[0]
    except OSError:
        return False
    return state != "Z"


def descendants(pid: int) -> set[int]:
    """Every live descendant of pid, from /proc's parent links."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[-1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    found, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def _port_open(url: str) -> bool:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex((parts.hostname, parts.port)) == 0
