"""Fixtures of the browser tests: Airflow started by scripts/airflow_standalone.sh (what `make airflow` runs) on a
free port, a warehouse filled by a real incremental sync, and a headless Debian chromium."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from .cdp import Browser, find_chromium, install_chromium

ROOT = Path(__file__).resolve().parents[2]
STARTUP_SECONDS = 240


def front_connection_json(base_url: str) -> str:
    """front_default for the simulator (as tests/conftest.py builds it): no rate budget to wait for."""
    return json.dumps(
        {
            "conn_type": "front",
            "host": base_url,
            "password": "test-token",
            "extra": {"allowed_hosts": ["localhost"], "rpm": 100_000, "share": 1.0, "burst_per_second": 0},
        }
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Airflow:
    """A running `make airflow`: its base URL, the admin's password, and REST calls with a token."""

    def __init__(self, base_url: str, home: Path, process: subprocess.Popen, log: Path) -> None:
        self.base_url, self.home, self.process, self.log = base_url, home, process, log
        self._token: str | None = None
        self.started = time.monotonic()

    @property
    def password(self) -> str:
        return json.loads((self.home / "simple_auth_manager_passwords.json.generated").read_text())["admin"]

    def request(self, method: str, path: str, body: dict | None = None, token: str | None = "admin") -> tuple:
        """(status, parsed JSON or text) of a call; token "admin" logs in as admin, None sends no credentials."""
        headers = {"Content-Type": "application/json"}
        if token == "admin":
            token = self.token()
        if token:
            headers["Authorization"] = f"Bearer {token}"
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.base_url + path, data=data, method=method, headers=headers)
        try:
            # A bound, not a pace: a busy 2-core machine has kept the api-server over 30 s on one answer.
            with urllib.request.urlopen(req, timeout=120) as response:
                status, text = response.status, response.read().decode()
        except urllib.error.HTTPError as exc:
            status, text = exc.code, exc.read().decode()
        try:
            return status, json.loads(text)
        except ValueError:
            return status, text

    def token(self) -> str:
        if self._token is None:
            status, body = self.request(
                "POST", "/auth/token", {"username": "admin", "password": self.password}, token=None
            )
            assert status == 201, body
            self._token = body["access_token"]
        return self._token

    def wait_healthy(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"make airflow exited with {self.process.returncode}:\n{self.log.read_text()[-3000:]}")
            try:
                status, body = self.request("GET", "/api/v2/monitor/health", token=None)
                if status == 200 and all(part.get("status") == "healthy" for part in body.values()):
                    return
            except OSError:
                pass
            time.sleep(1)
        pytest.fail(f"Airflow not healthy after {timeout} s:\n{self.log.read_text()[-3000:]}")

    def stop(self) -> None:
        # airflow standalone starts its components in process groups of their own: stop the script's group,
        # then whatever still listens on our port (the api-server shuts down gracefully, slowly).
        for sig in (signal.SIGTERM, signal.SIGKILL):
            for pid in self._pids():
                try:
                    os.kill(pid, sig)
                except ProcessLookupError:
                    pass
            deadline = time.monotonic() + 15
            while self._pids() and time.monotonic() < deadline:
                time.sleep(0.5)
            if not self._pids():
                return

    def _pids(self) -> list[int]:
        """Processes of this Airflow: the script's group and anything whose environment names our AIRFLOW_HOME."""
        pids = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                environ = (entry / "environ").read_bytes()
            except OSError:
                continue
            if f"AIRFLOW_HOME={self.home}\0".encode() in environ:
                pids.append(int(entry.name))
        return pids


@pytest.fixture(scope="module")
def chromium():
    """Debian's chromium: installed with apt-get when missing and possible (as .ci/run does), else skip."""
    binary = find_chromium() or install_chromium()
    if binary is None:
        pytest.skip(
            "chromium is not installed and could not be installed (needs root and apt-get: apt-get install chromium)"
        )
    return binary


@pytest.fixture(scope="module")
def ui_warehouse(new_database):
    """A database of its own for the module (the standalone Airflow and this process both use it)."""
    return new_database("ui")


@pytest.fixture(scope="module")
def ui_simulator(simulator_server):
    """The session's simulator with a small account: 150 contacts, 12 conversations."""
    from front_simulator.control import SimulatorControl

    control = SimulatorControl(simulator_server.base_url)
    control.clear_faults()
    control.set_rate_limit(rpm=None, burst_per_second=None)
    control.reset(seed=7, sizes={"contacts": 150, "conversations": 12})
    return control


@contextlib.contextmanager
def standalone_airflow(
    warehouse_url: str, front_connection: str | None, log_dir: Path, prefix: str, extra_env: dict | None = None
):
    """scripts/airflow_standalone.sh (make airflow) on a free port with these connections (front_connection None:
    the script's own simulator, with real time wired); `extra_env` added; stopped on exit."""
    home = Path(tempfile.mkdtemp(prefix=prefix))
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    env = {
        name: value for name, value in os.environ.items() if not name.startswith(("AIRFLOW", "PYTEST", "FRONT_SYNC"))
    }
    env.update(
        {
            "AIRFLOW_HOME": str(home),
            "AIRFLOW_PORT": str(port),
            "AIRFLOW__API__BASE_URL": base_url,
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{base_url}/execution/",
            "AIRFLOW_CONN_FRONT_WAREHOUSE": warehouse_url,
            **({"AIRFLOW_CONN_FRONT_DEFAULT": front_connection} if front_connection else {}),
            **(extra_env or {}),
        }
    )
    log = log_dir / "standalone.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(ROOT / "scripts" / "airflow_standalone.sh")],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    airflow = Airflow(base_url, home, process, log)
    try:
        yield airflow
    finally:
        airflow.stop()


@pytest.fixture(scope="module")
def airflow_ui(chromium, ui_warehouse, ui_simulator, simulator_server, tmp_path_factory):
    """make airflow's script on a free port with our warehouse and simulator as its connections."""
    with standalone_airflow(
        ui_warehouse,
        front_connection_json(simulator_server.base_url),
        tmp_path_factory.mktemp("airflow"),
        "front-sync-ui-airflow-",
    ) as airflow:
        yield airflow


@pytest.fixture(scope="module")
def synced(airflow_ui, ui_warehouse, ui_simulator, simulator_server, airflow_db):
    """A demo-like sync while Airflow starts: front_sync_incremental through dag.test(), as `make demo` runs it
    (airflow dags test), into the warehouse the standalone Airflow reads; then Airflow is waited for."""
    from airflow.models import Variable
    from airflow.utils.session import create_session

    from front_sync_testing.dags import parse_dags

    def clear_watermarks():
        with create_session() as session:
            session.query(Variable).filter(Variable.key.like("front_sync.%")).delete(synchronize_session=False)

    clear_watermarks()
    started = time.monotonic()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("AIRFLOW_CONN_FRONT_WAREHOUSE", ui_warehouse)
        mp.setenv("AIRFLOW_CONN_FRONT_DEFAULT", front_connection_json(simulator_server.base_url))
        dag = parse_dags().dags["front_sync_incremental"]
        run = dag.test()
    assert run.state == "success"
    synced_at = time.monotonic()
    airflow_ui.wait_healthy(STARTUP_SECONDS)
    print(
        f"\nsync {synced_at - started:.0f} s; Airflow healthy {time.monotonic() - airflow_ui.started:.0f} s "
        "after make airflow started"
    )
    yield run
    clear_watermarks()  # the session's metadata DB: later tests start without this sync's cursors


@pytest.fixture(scope="module")
def browser(chromium, tmp_path_factory):
    profile = tmp_path_factory.mktemp("chromium-profile")
    instance = Browser(chromium, profile, profile.parent / "chromium.log")
    yield instance
    instance.close()


@pytest.fixture(scope="module")
def screenshots(tmp_path_factory):
    """Where the screenshots go (pytest's temporary directory; printed by the tests)."""
    return tmp_path_factory.mktemp("dashboard-screenshots")


def type_into(page, selector: str, text: str, root: str = "document") -> None:
    """Focus a field (in `root`, a JavaScript expression for a document) and type into it through the browser's
    input pipeline, as a user would."""
    page.wait_for(f"{root}?.querySelector({json.dumps(selector)})", what=selector)
    page.evaluate(f"{root}.querySelector({json.dumps(selector)}).focus()")
    page.send("Input.insertText", text=text)


def log_in(tab, password: str) -> None:
    """Log in to Airflow through its login form (user admin) in a tab already on the UI."""
    tab.wait_for("document.querySelector('input[name=username]')", timeout=60, what="the login form")
    type_into(tab, "input[name=username]", "admin")
    type_into(tab, "input[name=password]", password)
    tab.wait_for("!document.querySelector('button[type=submit]').disabled", what="the enabled login button")
    tab.evaluate("document.querySelector('button[type=submit]').click()")
    tab.wait_for(
        "!location.pathname.startsWith('/auth') && document.cookie.includes('_token')",
        timeout=30,
        what="the UI after login",
    )
