"""Issue 20 "markers that match reality": a test that reaches the PostgreSQL server (the postgres_server fixture,
directly or through another fixture) without the integration marker fails before the server starts; and the fast
tier's folders hold no integration test. The rule runs in a real pytest session over a throwaway test folder."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FAST_TIER = ("tests/unit", "tests/dags", "tests/simulator")  # the Makefile's test-fast paths
INTEGRATION = re.compile(r"^(\s*@pytest\.mark\.integration\b|pytestmark\s*=.*\bintegration\b)", re.MULTILINE)

CONFTEST = """
import pytest
from front_sync_testing.markers import require_integration_marker

STARTED = []


def pytest_runtest_setup(item):
    require_integration_marker(item)


@pytest.fixture(scope="session")
def postgres_server():
    STARTED.append(1)
    print("SERVER STARTED")
    return "postgresql://unused"


@pytest.fixture
def warehouse(postgres_server):
    return postgres_server
"""


def run_session(folder: Path, files: dict[str, str]) -> subprocess.CompletedProcess:
    for name, text in {"conftest.py": CONFTEST, **files}.items():
        (folder / name).write_text(textwrap.dedent(text))
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-s", "-p", "no:cacheprovider", str(folder)],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"},
    )  # no Airflow plugin: fast


def test_a_test_reaching_postgres_through_a_fixture_without_the_marker_fails_before_the_server_starts(tmp_path):
    result = run_session(
        tmp_path,
        {
            "test_unmarked.py": """
        def test_uses_the_warehouse(warehouse):
            assert warehouse
    """
        },
    )
    assert result.returncode == 1, result.stdout
    assert "needs PostgreSQL" in result.stdout and "not marked integration" in result.stdout, result.stdout
    assert "SERVER STARTED" not in result.stdout, result.stdout


def test_a_marked_module_and_a_test_without_postgres_run(tmp_path):
    result = run_session(
        tmp_path,
        {
            "test_marked.py": """
            import pytest

            pytestmark = pytest.mark.integration


            def test_uses_the_server(postgres_server):
                assert postgres_server
        """,
            "test_plain.py": """
            def test_no_database():
                assert True
        """,
        },
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 passed" in result.stdout, result.stdout


def test_the_fast_tier_folders_hold_no_integration_test():
    marked = [
        str(p.relative_to(ROOT))
        for folder in FAST_TIER
        for p in (ROOT / folder).rglob("*.py")
        if INTEGRATION.search(p.read_text())
    ]
    assert not marked, f"integration tests in the fast tier's folders (move them to tests/integration): {marked}"
