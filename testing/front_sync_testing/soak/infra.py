"""Soak-test infrastructure: throwaway PostgreSQL servers, the Front simulator and Airflow's real components.

Every process is started in its own process group and recorded in a state file in the run's temp folder, so the
harness (or the next run, after a crash) stops exactly those processes and nothing else.
"""

from __future__ import annotations

import contextlib
import json
import os
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

from front_sync_testing import ROOT

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


def wait_for(
    what: str, probe: Callable[[], Any], timeout: float, deadline: Deadline | None = None, interval: float = 1.0
) -> Any:
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
    # What close() runs first, newest first: stopping what manages its own processes (a Celery cluster's script).
    on_close: list[Callable[[], None]] = field(default_factory=list)

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
        state = {
            "harness_pid": os.getpid(),
            "processes": {
                n: {
                    "pid": m.popen.pid,
                    "cmd": m.popen.args[:3] if isinstance(m.popen.args, list) else str(m.popen.args),
                }
                for n, m in self.processes.items()
            },
            "pg_dirs": [str(p) for p in self.pg_dirs],
        }
        (self.root / STATE_FILE).write_text(json.dumps(state, default=str))

    def start(self, name: str, argv: list[str], env: dict[str, str], cwd: Path = ROOT) -> Managed:
        """Start a long-lived process in its own process group; its output goes to logs/<name>.log."""
        log_path = self.logs / f"{name}.log"
        handle = open(log_path, "ab")  # noqa: SIM115 - kept open for the child's lifetime
        popen = subprocess.Popen(
            argv,
            env=env,
            cwd=str(cwd),
            stdout=handle,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            preexec_fn=_die_with_parent,
        )
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
        """Run the on_close hooks, stop every process (newest first), stop PostgreSQL, copy logs to `keep` if asked,
        delete the folder."""
        for hook in reversed(self.on_close):
            try:
                hook()
            except Exception as exc:  # noqa: BLE001 - keep cleaning up
                log(f"could not run a close hook: {exc}")
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
    result = subprocess.run(
        [str(ROOT / "scripts" / "pg_start.sh"), str(pg_dir)], capture_output=True, text=True, timeout=120
    )
    if result.returncode != 0:
        raise SoakError(f"PostgreSQL {name} did not start: {result.stderr.strip()}")
    return result.stdout.strip().splitlines()[-1]


def restart_postgres(pg_dir: Path) -> float:
    """pg_ctl restart -m fast (every connection is cut); returns the seconds it took."""
    started = time.monotonic()
    result = subprocess.run(
        [
            *_as_postgres(),
            str(_pg_bin(pg_dir) / "pg_ctl"),
            "-D",
            str(pg_dir),
            "-m",
            "fast",
            "-w",
            "-t",
            "60",
            "-l",
            str(pg_dir / "server.log"),
            "restart",
        ],
        capture_output=True,
        text=True,
        timeout=90,
    )
    if result.returncode != 0:
        raise SoakError(f"pg_ctl restart failed: {result.stderr.strip() or result.stdout.strip()}")
    return time.monotonic() - started


def stop_postgres(pg_dir: Path) -> None:
    if pg_dir.exists():
        subprocess.run([str(ROOT / "scripts" / "pg_stop.sh"), str(pg_dir)], capture_output=True, text=True, timeout=120)


# -- the Front simulator ---------------------------------------------------------------------------------------


def start_simulator(
    ws: Workspace, seed: int, sizes: dict[str, Any], rpm: int | None, burst: float, deadline: Deadline
) -> str:
    """`python -m front_simulator` on a free loopback port; returns its base URL."""
    port = free_port()
    argv = [
        str(VENV_BIN / "python"),
        "-m",
        "front_simulator",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--seed",
        str(seed),
        "--burst",
        str(burst),
    ]
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


def python() -> str:
    """The venv's Python (the one every harness process runs), else this one."""
    return str(VENV_BIN / "python") if (VENV_BIN / "python").exists() else sys.executable
