"""The repository's DAGs as Airflow parses them, with the environment as it is at the call (a tenant list in
FRONT_SYNC_TENANTS renames them): one place for tests and benchmarks to load dags/."""

from __future__ import annotations

from typing import Any

from front_sync_testing import ROOT


def parse_dags() -> Any:
    """A DagBag of dags/ (Airflow imported here: callers set AIRFLOW_HOME and friends first)."""
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(ROOT / "dags"))
