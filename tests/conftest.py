"""Shared test set-up: a private Airflow home, a real PostgreSQL server, the Front simulator, connections."""

from __future__ import annotations

import os
import subprocess
import tempfile
import uuid
from pathlib import Path

import pytest

from front_sync_testing.markers import require_integration_marker

ROOT = Path(__file__).resolve().parents[1]
DAGS = ROOT / "dags"

# Airflow reads its configuration at import: set it before anything imports airflow.
_AIRFLOW_HOME = tempfile.mkdtemp(prefix="front-sync-airflow-")
os.environ["AIRFLOW_HOME"] = _AIRFLOW_HOME
os.environ["AIRFLOW__CORE__DAGS_FOLDER"] = str(DAGS)
os.environ["AIRFLOW__CORE__PLUGINS_FOLDER"] = str(ROOT / "plugins")
os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
os.environ["AIRFLOW__CORE__UNIT_TEST_MODE"] = "False"
for _name in [n for n in os.environ if n.startswith(("AIRFLOW_CONN_", "AIRFLOW_VAR_"))]:
    del os.environ[_name]
os.environ.pop("FRONT_SYNC_TENANTS", None)  # a developer's tenant list would rename the DAGs under test

TOKEN = "test-token"


def pytest_runtest_setup(item):
    """A test reaching the PostgreSQL server must be marked integration (issue 20: markers that match reality)."""
    require_integration_marker(item)


@pytest.fixture(scope="session")
def airflow_db():
    """Airflow's metadata DB (SQLite in the temp home), created once."""
    from airflow.utils import db

    db.resetdb()
    return True


@pytest.fixture(scope="module")
def dagbag():
    """The repository's DAGs as Airflow parses them (no tenant list: tests/conftest.py clears it), per module."""
    from front_sync_testing.dags import parse_dags

    return parse_dags()


@pytest.fixture(scope="session")
def postgres_server():
    """A throwaway PostgreSQL server for the session (scripts/pg_start.sh); yields the admin URL."""
    if os.environ.get("FRONT_SYNC_TEST_TIER") == "fast":
        pytest.fail(
            "this test needs PostgreSQL, which `make test-fast` never starts: move it to tests/integration "
            "(and mark it integration) so the fast tier stays fast"
        )
    datadir = tempfile.mkdtemp(prefix="front-sync-pg.")
    result = subprocess.run([str(ROOT / "scripts" / "pg_start.sh"), datadir], capture_output=True, text=True)
    if result.returncode != 0:
        pytest.fail(f"could not start PostgreSQL for the tests:\n{result.stderr}")
    url = result.stdout.strip().splitlines()[-1]
    yield url
    subprocess.run([str(ROOT / "scripts" / "pg_stop.sh"), datadir], capture_output=True, text=True)


@pytest.fixture(scope="session")
def new_database(postgres_server):
    """Makes a new, empty database on the session's server: ``new_database(prefix="t")`` returns its URL."""
    import psycopg

    def create(prefix: str = "t") -> str:
        name = f"{prefix}_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(postgres_server, autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
        return postgres_server.rsplit("/", 1)[0] + f"/{name}"

    return create


@pytest.fixture
def warehouse_url(new_database, monkeypatch):
    """A fresh, empty database per test, exposed as the front_warehouse connection."""
    url = new_database()
    monkeypatch.setenv("AIRFLOW_CONN_FRONT_WAREHOUSE", url)
    return url


@pytest.fixture
def warehouse(warehouse_url):
    """An open psycopg (3) connection to the test's fresh database, the driver the warehouse code uses."""
    import psycopg

    conn = psycopg.connect(warehouse_url)
    yield conn
    conn.close()


@pytest.fixture(scope="session")
def simulator_server():
    """The Front simulator over real HTTP on a free port, for the whole session (reset per test)."""
    from front_simulator.server import SimulatorServer

    sim = SimulatorServer(seed=1, sizes={"contacts": 0}, token=TOKEN, host="127.0.0.1", port=0)
    sim.start()
    yield sim
    sim.stop()


@pytest.fixture
def simulator(simulator_server, monkeypatch):
    """A control client for the simulator, reset to an empty account; front_default points at it."""
    from front_simulator.control import SimulatorControl

    control = SimulatorControl(simulator_server.base_url)
    control.clear_faults()
    control.set_rate_limit(rpm=None, burst_per_second=None)  # rate-limit settings survive a reset
    control.reset(seed=1, sizes={"contacts": 0})
    monkeypatch.setenv("AIRFLOW_CONN_FRONT_DEFAULT", front_connection_json(simulator_server.base_url))
    return control


def front_connection_json(base_url: str, token: str = TOKEN, **extra) -> str:
    """The front_default connection, in Airflow's JSON form, for a simulator at base_url."""
    import json

    # The simulator is not rate limited unless a test asks for it, so the budget must not throttle either.
    return json.dumps(
        {
            "conn_type": "front",
            "host": base_url,
            "password": token,
            "extra": {"allowed_hosts": ["localhost"], "rpm": 100_000, "share": 1.0, "burst_per_second": 0, **extra},
        }
    )


@pytest.fixture
def clean_variables(airflow_db):
    """Remove front_sync Variables before and after a test (watermarks live in the metadata DB)."""
    from airflow.models import Variable
    from airflow.utils.session import create_session

    def _clear():
        with create_session() as session:
            session.query(Variable).filter(Variable.key.like("front_sync.%")).delete(synchronize_session=False)

    _clear()
    yield Variable
    _clear()


@pytest.fixture
def connect_front(simulator_server, monkeypatch):
    """A function that points front_default at the simulator with the given connection extras."""

    def connect(**extra) -> None:
        monkeypatch.setenv("AIRFLOW_CONN_FRONT_DEFAULT", front_connection_json(simulator_server.base_url, **extra))

    return connect
