"""scripts/: the settings derived from make airflow's port, the demo's watermark reset, and Ctrl-C on make airflow
(a real `airflow standalone` started by scripts/airflow_standalone.sh on a free port, then interrupted)."""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = ROOT / "scripts"


def _env_after(snippet: str, **env: str) -> dict[str, str]:
    """The environment after sourcing airflow_env.sh and running `snippet` in bash."""
    out = subprocess.run(
        ["bash", "-c", f"source {SCRIPTS / 'airflow_env.sh'} && {snippet} && env -0"],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, **env},
    )
    return dict(line.split("=", 1) for line in out.stdout.split("\0") if "=" in line)


def test_the_port_sets_the_api_base_url_and_the_execution_api_url_tasks_call():
    env = _env_after("airflow_port_env 47500")
    assert env["AIRFLOW__API__PORT"] == "47500"
    assert env["AIRFLOW__API__BASE_URL"] == "http://127.0.0.1:47500"
    assert env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"] == "http://127.0.0.1:47500/execution/"
    assert (env["AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT"], env["AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT"]) == (
        "47501",
        "47502",
    )
    assert env["AIRFLOW__CORE__TEST_CONNECTION"] == "Enabled"
    default = _env_after("airflow_port_env 8080")
    assert "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT" not in default  # Airflow's own 8793/8794


def test_the_webhook_receiver_gets_its_port_and_the_connections_but_no_airflow_setting():
    """Issue 21: make airflow's receiver listens beside Airflow (8090, or the API port + 3) with no Airflow secret."""
    for port, expected in (("8080", "8090"), ("47500", "47503")):
        out = subprocess.run(
            [
                "bash",
                "-c",
                f"source {SCRIPTS / 'airflow_env.sh'} && airflow_port_env {port} && "
                "webhook_receiver_env EXTRA=1 | tr '\\0' '\\n'",
            ],
            capture_output=True,
            text=True,
            check=True,
            env={
                **{k: v for k, v in os.environ.items() if not k.startswith("FRONT_SYNC_WEBHOOK")},
                "AIRFLOW_CONN_FRONT_WEBHOOK": "{}",
                "AIRFLOW_CONN_FRONT_WAREHOUSE": "postgresql://w",
                "AIRFLOW_CONN_FRONT_DEFAULT": "{}",
                "AIRFLOW__API_AUTH__JWT_SECRET": "s",
            },
        )
        env = dict(line.split("=", 1) for line in out.stdout.splitlines())
        assert env["FRONT_SYNC_WEBHOOK_PORT"] == expected and env["EXTRA"] == "1"
        assert (env["AIRFLOW_CONN_FRONT_WEBHOOK"], env["AIRFLOW_CONN_FRONT_WAREHOUSE"]) == ("{}", "postgresql://w")
        assert "AIRFLOW_HOME" in env and "AIRFLOW_CONN_FRONT_DEFAULT" not in env  # not the Front API token
        assert not [name for name in env if name.startswith("AIRFLOW__")]


def test_with_a_tenant_list_the_webhook_receiver_gets_each_tenants_webhook_and_warehouse_connections(tmp_path):
    tenants = tmp_path / "tenants.json"
    tenants.write_text(
        json.dumps({"tenants": [{"name": "acme", "front_conn_id": "front_acme", "warehouse_conn_id": "wh_acme"}]})
    )
    env = _env_after(
        "true",
        FRONT_SYNC_TENANTS=str(tenants),
        AIRFLOW_CONN_WH_ACME="postgresql://a",
        AIRFLOW_CONN_FRONT_WEBHOOK__ACME="{}",
        AIRFLOW_CONN_FRONT_ACME="{}",
    )
    script = f"source {SCRIPTS / 'airflow_env.sh'} && webhook_receiver_env | tr '\\0' '\\n'"
    out = subprocess.run(["bash", "-c", script], capture_output=True, text=True, check=True, env=env)
    names = {line.split("=", 1)[0] for line in out.stdout.splitlines()}
    assert {"AIRFLOW_CONN_WH_ACME", "AIRFLOW_CONN_FRONT_WEBHOOK__ACME", "FRONT_SYNC_TENANTS"} <= names
    assert "AIRFLOW_CONN_FRONT_ACME" not in names


def test_airflow_reads_the_derived_execution_api_url(tmp_path):
    out = subprocess.run(
        [
            "bash",
            "-c",
            f"source {SCRIPTS / 'airflow_env.sh'} && airflow_port_env 47500 && "
            "airflow config get-value core execution_api_server_url && "
            "airflow config get-value core test_connection",
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "AIRFLOW_HOME": str(tmp_path)},
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["http://127.0.0.1:47500/execution/", "Enabled"]


def _demo_tools():
    spec = importlib.util.spec_from_file_location("demo_tools", SCRIPTS / "demo_tools.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_reset_watermarks_deletes_every_watermark_conversations_included(clean_variables):
    from front_sync.resources import ALL_RESOURCES

    keys = [f"front_sync.watermark.{r.name}" for r in ALL_RESOURCES] + ["front_sync.watermark.retired_resource"]
    for key in keys:
        clean_variables.set(key, json.dumps({"value": "1700000000.000"}))
    clean_variables.set("front_sync.config", "{}")

    deleted = _demo_tools().reset_watermarks()

    assert "front_sync.watermark.conversations" in deleted
    assert sorted(deleted) == sorted(keys)
    assert all(clean_variables.get(key, default_var=None) is None for key in keys)
    assert clean_variables.get("front_sync.config") == "{}"  # only cursors go


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _listening(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def _session_pids(sid: int) -> list[int]:
    out = subprocess.run(["ps", "-eo", "pid=,sid=,stat="], capture_output=True, text=True).stdout
    return [
        int(pid)
        for pid, s, stat in (line.split() for line in out.splitlines())
        if int(s) == sid and not stat.startswith("Z")
    ]  # a zombie is dead, only not reaped yet


def _wait_healthy(port: int, proc: subprocess.Popen, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert proc.poll() is None, "make airflow's script exited before Airflow was healthy"
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v2/monitor/health", timeout=2) as response:
                health = json.load(response)
            if all(health.get(k, {}).get("status") == "healthy" for k in ("metadatabase", "scheduler")):
                return
        except OSError:
            pass
        time.sleep(1)
    pytest.fail(f"Airflow was not healthy on port {port} within {seconds}s")


@pytest.mark.integration
def test_ctrl_c_stops_airflow_the_simulator_and_postgresql_promptly(tmp_path):
    port = _free_port()
    env = {
        **os.environ,
        "AIRFLOW_HOME": str(tmp_path / "airflow"),
        "AIRFLOW_PORT": str(port),
        "DEMO_CONTACTS": "50",
        "STOP_GRACE_SECONDS": "3",
    }
    for name in [n for n in env if n.startswith(("AIRFLOW_CONN_", "AIRFLOW_VAR_", "AIRFLOW__"))]:
        del env[name]
    log = (tmp_path / "script.log").open("w")
    # A session of its own, as a terminal would give make: the script is its leader.
    proc = subprocess.Popen(
        [str(SCRIPTS / "airflow_standalone.sh")], cwd=ROOT, env=env, stdout=log, stderr=log, start_new_session=True
    )
    try:
        _wait_healthy(port, proc, 240)
        # The webhook receiver (scripts/airflow_env.sh webhook_port): on the embedded simulator the script wires it
        # (scripts/realtime_wiring.py), so it serves the simulator's company once the wiring is done.
        hooks, deadline = port + 3, time.monotonic() + 120
        while (status := json.load(_http_error_body(f"http://127.0.0.1:{hooks}/healthz"))["status"]) != "ok":
            assert status == "no_tenants" and time.monotonic() < deadline, status
            time.sleep(1)
        pg_port = _warehouse_port(tmp_path / "airflow")
        airflow_sid = _airflow_session(proc.pid)
        assert airflow_sid and _session_pids(airflow_sid)

        started = time.monotonic()
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=30)
        took = time.monotonic() - started

        assert took < 20, f"Ctrl-C took {took:.1f}s"
        assert _session_pids(airflow_sid) == []
        assert _session_pids(proc.pid) == []  # the simulator, the script's children
        assert not _listening(port)
        assert not _listening(pg_port)
        assert not _listening(hooks)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        log.close()
    print((tmp_path / "script.log").read_text()[-2000:])


def _http_error_body(url: str, seconds: float = 60):
    """The answer to a GET, error statuses included, waiting up to `seconds` for the server to listen."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            return urllib.request.urlopen(url, timeout=10)
        except urllib.error.HTTPError as error:
            return error
        except urllib.error.URLError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def _warehouse_port(airflow_home: Path) -> int:
    """The throwaway PostgreSQL's port, from the front_warehouse connection the script stored."""
    out = subprocess.run(
        [sys.executable, "-m", "airflow", "connections", "get", "front_warehouse", "-o", "json"],
        capture_output=True,
        text=True,
        env={**os.environ, "AIRFLOW_HOME": str(airflow_home)},
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    return int(json.loads(out.stdout)[0]["port"])


def _airflow_session(script_pid: int) -> int | None:
    """The session `airflow standalone` runs in: the script's child that leads a session of its own."""
    out = subprocess.run(["ps", "-eo", "pid=,ppid=,sid="], capture_output=True, text=True).stdout
    for pid, ppid, sid in (map(int, line.split()) for line in out.splitlines()):
        if ppid == script_pid and pid == sid:
            return sid
    return None
